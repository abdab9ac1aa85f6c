#pragma once
// A module's parameters and a model's configuration in an HDF5 file.
//
// Parameters are stored one dataset per name, at <group>/<name> with the name from
// named_parameters() ("/model/encoder.layers.0.self_attn.in_proj_weight"): the same layout that
// tools/uniad_reference.py writes from a PyTorch state dict, so weights move both ways by name.
// The configuration is stored as attributes of a group, one per ModelConfig field, under the
// field's name (network as a string, booleans as 0/1 integers).
#include <string>

#include "nn/module.h"
#include "tensor/hdf5_io.h"
#include "uniad/config.h"

namespace uniad {

// Writes every parameter of `module` as <group>/<name>, in the parameter's dtype.
void save_parameters(const nn::Module& module, h5::File& file, const std::string& group);

// Loads every parameter of `module` from <group>/<name>, converting the stored dtype to the
// parameter's. The names must match exactly in both directions and every shape must agree;
// otherwise it throws one Error that lists all missing names, unexpected names and shape
// mismatches, and leaves the module unchanged.
void load_parameters(nn::Module& module, const h5::File& file, const std::string& group);

void save_model_config(const ModelConfig& config, h5::File& file, const std::string& group);
// Reads all fields; a missing attribute throws naming it (no silent defaults).
ModelConfig load_model_config(const h5::File& file, const std::string& group);

}  // namespace uniad
