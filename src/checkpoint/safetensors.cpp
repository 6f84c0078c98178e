// safetensors.cpp — safetensors writer and validating reader (see safetensors.h).
#include "checkpoint/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstring>

#include "base/fsutil.h"
#include "charrnn/error.h"

namespace charrnn {
namespace {

// A header this large would describe thousands of tensors; anything bigger is corruption, and
// refusing it keeps a bad file from making the loader allocate gigabytes.
constexpr uint64_t kMaxHeaderBytes = 16u << 20;

uint64_t element_count(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) n *= uint64_t(d);
  return n;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorRef& t : tensors) {
    uint64_t bytes = element_count(t.shape) * sizeof(float);
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) file[size_t(i)] = char((n >> (8 * i)) & 0xff);  // little-endian
  file += text;
  file.reserve(file.size() + offset);
  for (const TensorRef& t : tensors)  // x86-64 is little-endian: floats are written as they are
    file.append(reinterpret_cast<const char*>(t.data), element_count(t.shape) * sizeof(float));
  write_file_synced(path, file.data(), file.size());
}

SafetensorsReader::SafetensorsReader(const std::string& path) : path_(path) {
  bytes_ = read_file(path, "tensor file");
  parse();
}

SafetensorsReader::SafetensorsReader(std::string bytes, const std::string& name)
    : path_(name), bytes_(std::move(bytes)) {
  parse();
}

void SafetensorsReader::parse() {
  const std::string& path = path_;
  if (bytes_.size() < 8)
    fail(path + ": truncated safetensors file (" + std::to_string(bytes_.size()) + " bytes)");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= uint64_t(static_cast<unsigned char>(bytes_[size_t(i)])) << (8 * i);
  if (n > kMaxHeaderBytes || n > bytes_.size() - 8)
    fail(path + ": safetensors header length " + std::to_string(n) + " does not fit the file (" +
             std::to_string(bytes_.size()) + " bytes)",
         "the file is truncated or corrupt");
  data_start_ = 8 + n;
  const uint64_t data_bytes = bytes_.size() - data_start_;
  nlohmann::json header =
      nlohmann::json::parse(bytes_.begin() + 8, bytes_.begin() + long(data_start_), nullptr, false);
  if (!header.is_object()) fail(path + ": safetensors header is not a JSON object");
  try {
    parse_entries(header, data_bytes);
  } catch (const nlohmann::json::exception& e) {  // a field of an unexpected type
    fail(path + ": malformed safetensors header: " + e.what(),
         "the file is damaged or not a safetensors file");
  }
}

void SafetensorsReader::parse_entries(const nlohmann::json& header, uint64_t data_bytes) {
  const std::string& path = path_;
  for (auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail(path + ": __metadata__ is not an object");
      for (auto& [k, v] : value.items())
        if (v.is_string()) metadata_[k] = v.get<std::string>();
      continue;
    }
    if (!value.is_object() || !value.contains("dtype") || !value["dtype"].is_string() ||
        value["dtype"].get<std::string>() != "F32" || !value.contains("shape") ||
        !value["shape"].is_array() || !value.contains("data_offsets") ||
        !value["data_offsets"].is_array() || value["data_offsets"].size() != 2)
      fail(path + ": tensor '" + name + "' is not an F32 tensor entry");
    Entry e;
    for (auto& d : value["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (1ull << 40))
        fail(path + ": tensor '" + name + "' has a bad shape");
      e.shape.push_back(d.get<int64_t>());
    }
    auto& off = value["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail(path + ": tensor '" + name + "' has bad data offsets");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_bytes || e.end - e.begin != element_count(e.shape) * 4)
      fail(path + ": tensor '" + name + "' lies outside the file or does not match its shape",
           "the file is truncated or corrupt");
    entries_[name] = std::move(e);
  }
}

std::vector<std::string> SafetensorsReader::names() const {
  std::vector<std::string> out;
  for (const auto& kv : entries_) out.push_back(kv.first);
  return out;
}

std::vector<int64_t> SafetensorsReader::shape(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) fail(path_ + ": no tensor named '" + name + "'");
  return it->second.shape;
}

void SafetensorsReader::read(const std::string& name, const std::vector<int64_t>& shape,
                             float* dst) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) fail(path_ + ": no tensor named '" + name + "'");
  if (it->second.shape != shape)
    fail(path_ + ": tensor '" + name + "' has shape " + shape_str(it->second.shape) +
         ", the architecture needs " + shape_str(shape));
  std::memcpy(dst, bytes_.data() + data_start_ + it->second.begin,
              it->second.end - it->second.begin);
}

}  // namespace charrnn
