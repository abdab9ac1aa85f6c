#!/usr/bin/env node
// Turns nsfwjs's bundled MobileNetV2 (CommonJS modules) into a standard TensorFlow.js model:
// model.json (topology + weightsManifest, as the module exports it) and weights.bin (the raw
// bytes of the single shard, decoded from base64). Nothing is dequantized here: the C++ side
// (`uniad prepare mobilenet-v2`) checks the byte counts against the manifest and dequantizes.
//
//   node tools/nsfwjs_to_json.js PACKAGE_DIR OUT_DIR
// PACKAGE_DIR is the untarred npm package (the folder holding dist/); OUT_DIR receives
// model.json and weights.bin, each written to a temporary name and then renamed.
"use strict";
const fs = require("fs");
const path = require("path");

function fail(msg) {
  process.stderr.write(`nsfwjs_to_json: ${msg}\n`);
  process.exit(1);
}

function writeAtomic(file, data) {
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function main() {
  if (process.argv.length !== 4) fail("usage: node tools/nsfwjs_to_json.js PACKAGE_DIR OUT_DIR");
  const modelDir = path.resolve(process.argv[2], "dist", "models", "mobilenet_v2");
  const outDir = path.resolve(process.argv[3]);
  const modelFile = path.join(modelDir, "model.min.js");
  if (!fs.existsSync(modelFile)) fail(`${modelFile} not found (is ${process.argv[2]} the untarred nsfwjs package?)`);

  const model = require(modelFile);  // {modelTopology, weightsManifest}
  if (!model.modelTopology || !Array.isArray(model.weightsManifest))
    fail(`${modelFile}: expected an object with modelTopology and weightsManifest`);

  // One shard per manifest group, each a module exporting a base64 string; concatenated in order.
  const chunks = [];
  for (const group of model.weightsManifest)
    for (const shard of group.paths) {
      const shardFile = path.join(modelDir, `${shard}.min.js`);
      if (!fs.existsSync(shardFile)) fail(`${shardFile} not found (named in weightsManifest)`);
      const b64 = require(shardFile);
      if (typeof b64 !== "string") fail(`${shardFile}: expected a base64 string export, got ${typeof b64}`);
      chunks.push(Buffer.from(b64, "base64"));
    }
  const bytes = Buffer.concat(chunks);

  // The manifest now points at the single file written beside it.
  const manifest = model.weightsManifest.map((g) => ({ ...g, paths: ["weights.bin"] }));
  const merged = [{ paths: ["weights.bin"], weights: manifest.flatMap((g) => g.weights) }];
  fs.mkdirSync(outDir, { recursive: true });
  writeAtomic(path.join(outDir, "weights.bin"), bytes);
  writeAtomic(path.join(outDir, "model.json"),
              JSON.stringify({ format: "layers-model", generatedBy: "nsfwjs@4.3.0 via tools/nsfwjs_to_json.js",
                               modelTopology: model.modelTopology, weightsManifest: merged }));
  console.log(`wrote ${path.join(outDir, "model.json")} (${merged[0].weights.length} tensors) and ` +
              `${path.join(outDir, "weights.bin")} (${bytes.length} bytes)`);
}

main();
