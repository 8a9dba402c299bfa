// The tensors of a Hugging Face checkpoint as streams (formats/safetensors_write.h), with the Linear weights the
// ModelOpt recipe quantizes replaced by their FP8 / NVFP4 tensors. Shared by `nemotron quantize` (sources: the
// mapped tensors of a loaded checkpoint) and `nemotron synth` (sources: generated rows), so both write the same
// names, layouts and bytes for the same weights.
//
// Tensors of one quantized Linear `<m>` (src/quant/modelopt.h has the layouts):
//   FP8              <m>.weight F8_E4M3 [out, in], <m>.weight_scale F32 [], <m>.input_scale F32 [] (= 1)
//   FP8 per channel  <m>.weight F8_E4M3 [out, in], <m>.weight_scale F32 [out]
//   NVFP4            <m>.weight U8 [out, in/2], <m>.weight_scale F8_E4M3 [out, in/16], <m>.weight_scale_2 F32 [],
//                    <m>.input_scale F32 [] (= 1)
//   W4A16 NVFP4      as NVFP4 without input_scale
// input_scale is 1: no activation calibration is run (this engine quantizes weights only).
// Each weight is read twice (a pass for the tensor-wide amax, then the quantizing pass that also records the
// per-row or per-block scales, written right after it), so memory stays at one block of rows plus the scales of
// one weight (NVFP4: in/16 bytes per row).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "formats/safetensors_write.h"
#include "quant/modelopt.h"

namespace nt {

// Fills rows [row, row + count) of a tensor seen as [rows, last dim] in fp32. out: [count, last dim]. Must allow
// concurrent calls for disjoint rows.
using RowSource = std::function<void(int64_t row, int64_t count, float* out)>;

// One tensor of an unquantized checkpoint.
struct SourceTensor {
  std::string name;
  DType dtype = DType::BF16;     // stored type
  std::vector<int64_t> shape;    // PyTorch order
  const uint8_t* raw = nullptr;  // the stored bytes, copied as they are; or null, and then:
  RowSource rows;                // fp32 values, stored rounded to dtype (F32, F16 or BF16)
  bool quantize = false;         // a Linear weight [out, in] to write in the ModelOpt layout (needs rows)
};

// True if the ModelOpt recipe quantizes the Linear weight `weight_name` ("<module>.weight") of shape [out, in]:
// its module is not excluded and, for NVFP4, `in` is a whole number of 16-element blocks.
bool modelopt_quantizes(const ModelOptConfig& qc, const std::string& weight_name, const std::vector<int64_t>& shape);

// Streams: tensors marked `quantize` become their ModelOpt tensors (algo must not be None then), every other
// tensor is written as stored; sorted by name. Errors name the tensor (no rows to read, bad shape or dtype).
Result<std::vector<StreamedTensor>> modelopt_stream(std::vector<SourceTensor> tensors, ModelOptAlgo algo);

}  // namespace nt
