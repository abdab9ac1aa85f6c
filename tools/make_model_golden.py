#!/usr/bin/python3
"""Golden fixture for the whole reconstruction model: tests/fixtures/golden_model.h5.

    /usr/bin/python3 tools/make_model_golden.py     # Debian's python3-torch; h5py

The model is tools/uniad_reference.py, the team's PyTorch definition of the model in
../shared/spec/UNIAD.md. Weights are drawn by PyTorch's own initialisers (seeded) and, like the
inputs, rounded to bfloat16 precision, so both sides start from exactly the same float32 values;
everything after that (forward, backward, clipping, AdamW) runs in float64, so the stored results
are the exact values our float32 run should approach, not another float32 run with its own
rounding.

Layout, one group per case; the group's attributes are the uniad::ModelConfig fields:
    /uniad                 reduced UniAD (C 24, 8x8 tokens, D 64, 4 heads, 2+2 layers, FFN 96,
                           window 3, dropout 0, no jitter, batch 2), plus training attributes
                           lr, beta1, beta2, eps, weight_decay, clip_norm, steps
        model/<name>       initial parameters (float32), names as in C++ named_parameters()
        input              features [B, C, H, W]
        reconstruction     model output [B, C, H, W]
        loss               MSE(reconstruction, input), scalar
        grad/<name>        d loss / d parameter
        steps/<k>/input    the fresh random input of training step k (k = 0, 1, 2)
        steps/<k>/loss     its loss before the update; steps/<k>/grad_norm: global norm before clipping
        trained/<name>     parameters after the steps (zero grad, forward, MSE, backward,
                           clip global norm to clip_norm, AdamW step; train mode)
    /mlp, /cnn, /transformer, /query_first   small models, forward and gradients only
Results are stored as float32 (rounding them adds ~6e-8 relative error, far below the test's
tolerances) with HDF5's shuffle + gzip filters. Full-precision results, coarse weights and inputs, and the
HDF5 1.10 metadata format keep the file under 2 MB (about 1.7 MB).
"""
import argparse
import dataclasses
import os

import numpy as np
import torch
import torch.nn.functional as F

import uniad_reference as ref

SEED = 20240612
DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "golden_model.h5")
TRAIN = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-4, clip_norm=0.1, steps=3)
PACK = dict(compression="gzip", compression_opts=9, shuffle=True)  # lossless; HDF5 reads it transparently


def reduced_uniad():
    """The brief's reduced size of the paper's code path (same switches as the paper)."""
    return ref.ModelConfig(network="uniad", feature_channels=24, grid_h=8, grid_w=8, hidden_dim=64, heads=4,
                           encoder_layers=2, decoder_layers=2, ffn_dim=96, dropout=0.0, mask_window=3,
                           jitter_scale=0.0)


def small(network, **switches):
    """A small model per other network kind; a non-square grid catches row/column mix-ups."""
    c = ref.ModelConfig(network=network, feature_channels=6, grid_h=4, grid_w=5, hidden_dim=8, heads=2,
                        encoder_layers=1, decoder_layers=2, ffn_dim=12, dropout=0.0, mask_window=3,
                        jitter_scale=0.0)
    return dataclasses.replace(c, **switches)


def coarse(t):
    """Rounds to bfloat16 precision (8 significant bits), as float64. Weights and inputs keep
    PyTorch's random draws, only coarser: exactly representable in float32 on both sides, and
    half their bytes compress away, which leaves room for full-precision results."""
    return t.to(torch.bfloat16).double()


def randn(*shape):
    return coarse(torch.randn(*shape))


def write(group, name, t):
    a = t.detach().numpy()
    if a.ndim == 0:
        group.create_dataset(name, data=a.astype(np.float64))  # scalars stay exact
    else:
        group.create_dataset(name, data=a.astype(np.float32), **PACK)


def forward_backward(model, x):
    model.zero_grad(set_to_none=True)
    rec = model(x)
    loss = F.mse_loss(rec, x)  # the target is the clean input
    loss.backward()
    return rec, loss


def write_case(h5, name, config, model, x):
    """Config, initial weights, input, reconstruction, loss and every gradient under /name."""
    g = h5.create_group(name)
    config.write_attrs(g.attrs)
    ref.export_state(model, g.create_group("model"), **PACK)
    rec, loss = forward_backward(model, x)
    write(g, "input", x)
    write(g, "reconstruction", rec)
    write(g, "loss", loss)
    grads = g.create_group("grad")
    for pname, p in model.named_parameters():
        write(grads, pname, p.grad)
    return g, loss


def train_steps(g, model, config):
    """The training steps, each on a fresh random input, and the parameters after them."""
    for k, v in TRAIN.items():
        g.attrs[k] = np.float64(v) if isinstance(v, float) else np.int64(v)
    opt = torch.optim.AdamW(model.parameters(), lr=TRAIN["lr"], betas=(TRAIN["beta1"], TRAIN["beta2"]),
                            eps=TRAIN["eps"], weight_decay=TRAIN["weight_decay"])
    c = config
    for k in range(TRAIN["steps"]):
        x = randn(2, c.feature_channels, c.grid_h, c.grid_w)
        _, loss = forward_backward(model, x)
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), TRAIN["clip_norm"])
        opt.step()
        s = g.create_group(f"steps/{k}")
        write(s, "input", x)
        write(s, "loss", loss)
        write(s, "grad_norm", norm)
        print(f"  step {k}: loss {loss.item():.6f}, grad norm before clipping {norm.item():.4f}")
    trained = g.create_group("trained")
    for pname, p in model.named_parameters():
        write(trained, pname, p)


def make_case(h5, name, config, seed, train=False):
    torch.manual_seed(seed)
    model = ref.ReconstructionModel(config).double()  # drawn in float32, then widened exactly
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(coarse(p))
    model.train()  # as the C++ model's default; dropout 0 and no jitter keep it deterministic
    x = randn(2, config.feature_channels, config.grid_h, config.grid_w)
    g, loss = write_case(h5, name, config, model, x)
    n = sum(p.numel() for p in model.parameters())
    print(f"{name:12s} {n:7d} parameters, loss {loss.item():.6f}")
    if train:
        train_steps(g, model, config)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with ref.h5py.File(args.out, "w", libver="latest") as h5:  # compact metadata (HDF5 1.10 format)
        h5.attrs["generator"] = "tools/make_model_golden.py"
        h5.attrs["torch_version"] = str(torch.__version__)
        h5.attrs["seed"] = np.int64(SEED)
        make_case(h5, "uniad", reduced_uniad(), SEED, train=True)
        # The other kinds, each also varying a switch the UniAD case keeps at its default.
        make_case(h5, "mlp", small("mlp"), SEED + 1)
        make_case(h5, "cnn", small("cnn"), SEED + 2)
        make_case(h5, "transformer", small("transformer", learned_pos_embed=False, mask_decoder1=False), SEED + 3)
        make_case(h5, "query_first", small("query_first", mask_encoder=False, mask_window=1), SEED + 4)
    print(f"wrote {os.path.normpath(args.out)} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
