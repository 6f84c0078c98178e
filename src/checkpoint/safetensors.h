// safetensors.h — read and write the safetensors format (f32 tensors only).
//
// Layout: 8-byte little-endian header length n, then n bytes of JSON header
// {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {string: string}}, padded with spaces to a multiple of 8, then the raw
// little-endian tensor bytes. Offsets are relative to the end of the header.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace charrnn {

struct TensorRef {
  std::string name;
  std::vector<int64_t> shape;
  const float* data;  // product(shape) floats
};

// Writes `path` and fsyncs it (the caller makes the write atomic by renaming).
void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const std::map<std::string, std::string>& metadata);

class SafetensorsReader {
 public:
  // Reads and validates the whole file: header size cap, JSON, dtypes, offsets within the file.
  explicit SafetensorsReader(const std::string& path);
  // The same from bytes already in memory; `name` stands for the file in errors.
  SafetensorsReader(std::string bytes, const std::string& name);
  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  std::vector<std::string> names() const;
  std::vector<int64_t> shape(const std::string& name) const;
  // Copies tensor `name` into dst after checking that its shape is `shape`.
  void read(const std::string& name, const std::vector<int64_t>& shape, float* dst) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  void parse();
  void parse_entries(const nlohmann::json& header, uint64_t data_bytes);
  struct Entry {
    std::vector<int64_t> shape;
    uint64_t begin, end;
  };
  std::string path_;
  std::string bytes_;  // the whole file
  uint64_t data_start_ = 0;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace charrnn
