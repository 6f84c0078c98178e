// json_fields.h — typed, validated access to a JSON document read from a file (model.json):
// every error names the file and the field, and says the file is damaged.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>

#include "charrnn/error.h"

namespace charrnn {

class Fields {
 public:
  explicit Fields(std::string file) : file_(std::move(file)) {}

  const nlohmann::json& at(const nlohmann::json& j, const char* key) const {
    if (!j.is_object() || !j.contains(key)) bad(std::string("missing field '") + key + "'");
    return j[key];
  }
  int64_t integer(const nlohmann::json& j, const char* key, int64_t lo, int64_t hi) const {
    const nlohmann::json& v = at(j, key);
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      bad(std::string("field '") + key + "' must be an integer in [" + std::to_string(lo) + ", " +
          std::to_string(hi) + "]");
    return v.get<int64_t>();
  }
  double number(const nlohmann::json& j, const char* key) const {
    const nlohmann::json& v = at(j, key);
    if (v.is_null()) return std::nan("");
    if (!v.is_number()) bad(std::string("field '") + key + "' must be a number");
    return v.get<double>();
  }
  // Fields added after a checkpoint may have been written: absent means `fallback`.
  int64_t integer_or(const nlohmann::json& j, const char* key, int64_t lo, int64_t hi,
                     int64_t fallback) const {
    return j.is_object() && j.contains(key) ? integer(j, key, lo, hi) : fallback;
  }
  std::string string_or(const nlohmann::json& j, const char* key,
                        const std::string& fallback) const {
    return j.is_object() && j.contains(key) ? string(j, key) : fallback;
  }
  std::string string(const nlohmann::json& j, const char* key) const {
    const nlohmann::json& v = at(j, key);
    if (!v.is_string()) bad(std::string("field '") + key + "' must be a string");
    return v.get<std::string>();
  }
  [[noreturn]] void bad(const std::string& what) const {
    fail(file_ + ": " + what,
         "the checkpoint is damaged or was written by another tool; retrain or restore it");
  }

 private:
  std::string file_;
};

}  // namespace charrnn
