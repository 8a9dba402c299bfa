// Random-weight models of any size (`nemotron synth`): the matrices have no backing memory; their rows are
// generated on demand from (tensor name, row), so a writer streaming them to disk keeps memory at one block of rows
// whatever the model size. Small per-channel vectors are real. Shared by the GGUF and the Hugging Face writers, so a
// seed gives the same weights in every format (up to each format's storage rounding).
#pragma once

#include <cstdint>

#include "formats/gguf_export.h"
#include "model/config.h"
#include "model/weights.h"

namespace nt {

// The config with every width and count scaled by f (0 < f <= 1), keeping block-size multiples and the
// head / group structure; the layer pattern is unchanged.
ModelConfig shrink_config(ModelConfig c, double f);

// Views without data (named by role, e.g. "layers.3.in_proj", "embeddings"; the name seeds the rows), plus real
// small vectors, shaped exactly as bind_weights binds them. Unused fields: prefix "backbone.", no biases.
ModelWeights synth_weights(const ModelConfig& c, uint64_t seed);

// Rows of the matrices of synth_weights: row r of a matrix is uniform with std 1/sqrt(in), from a stream seeded by
// (name, row), so rows can be produced in any order, by any number of threads.
RowFiller synth_rows(uint64_t seed);

}  // namespace nt
