// options.cpp — the type and range checks every option row shares (see options.h).
#include "base/options.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace charrnn {
namespace {

using json = nlohmann::json;

std::string plain(double x) {  // 0, 0.5, 1e-08, 100000: as a person writes them
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

std::string shown(const json& v) {
  return v.is_string() ? "'" + v.get<std::string>() + "'" : v.dump();
}

bool in_range(const OptionSpec& s, double x) {
  return std::isfinite(x) && (s.lo_open ? x > s.lo : x >= s.lo) &&
         (s.hi_open ? x < s.hi : x <= s.hi);
}

}  // namespace

std::string OptionSpec::requirement() const {
  switch (type) {
    case OptionType::flag:
      return "must be true or false";
    case OptionType::text:
      return "must be a string";
    case OptionType::texts:
      return "must be a list of strings";
    case OptionType::choice: {
      std::string names;
      for (size_t i = 0; i < choices.size(); ++i)
        names += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
      return "must be " + names;
    }
    case OptionType::integer:
    case OptionType::number:
    case OptionType::numbers:
      break;
  }
  const std::string what = type == OptionType::integer ? "an integer" : "a number";
  const std::string each = type == OptionType::numbers ? "must be numbers" : "must be " + what;
  const bool low = std::isfinite(lo), high = std::isfinite(hi);
  if (low && high && !lo_open && !hi_open)
    return (type == OptionType::numbers ? "must be numbers" : "must be") +
           std::string(" between ") + plain(lo) + " and " + plain(hi);
  if (low && high)
    return each + " in " + (lo_open ? "(" : "[") + plain(lo) + ", " + plain(hi) +
           (hi_open ? ")" : "]");
  if (low) return each + (lo_open ? " > " : " >= ") + plain(lo);
  if (high) return each + (hi_open ? " < " : " <= ") + plain(hi);
  return each;
}

json OptionSpec::checked(const json& v) const {
  auto bad = [&]() -> json { fail_field(name, requirement() + ", got " + shown(v)); };
  switch (type) {
    case OptionType::flag:
      return v.is_boolean() ? v : bad();
    case OptionType::text:
      return v.is_string() ? v : bad();
    case OptionType::choice:
      if (v.is_string())
        for (const std::string& c : choices)
          if (c == v.get<std::string>()) return v;
      return bad();
    case OptionType::texts: {
      if (v.is_string()) return json::array({v});
      if (!v.is_array()) return bad();
      for (const json& e : v)
        if (!e.is_string()) return bad();
      return v;
    }
    case OptionType::integer: {
      if (!v.is_number_integer() &&
          !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()))
        return bad();
      const double x = v.get<double>();
      if (!in_range(*this, x) || x < type_lo || x > type_hi) return bad();
      if (v.is_number_unsigned()) return v;
      return v.is_number_float() ? json(int64_t(x)) : v;
    }
    case OptionType::number:
      return v.is_number() && in_range(*this, v.get<double>()) ? json(v.get<double>()) : bad();
    case OptionType::numbers: {
      const json list = v.is_array() ? v : json::array({v});
      for (const json& e : list)
        if (!e.is_number() || !in_range(*this, e.get<double>())) return bad();
      return list;
    }
  }
  return bad();
}

json OptionSpec::parse_text(const std::string& text) const {
  auto number_of = [&](const std::string& t) -> json {
    char* end = nullptr;
    const double x = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0') fail_field(name, requirement() + ", got '" + t + "'");
    if (type == OptionType::integer) {
      const long long i = std::strtoll(t.c_str(), &end, 10);
      if (*end == '\0') return json(int64_t(i));
      if (std::floor(x) == x && std::fabs(x) < 9e15) return json(int64_t(x));  // 1e6
      fail_field(name, requirement() + ", got '" + t + "'");
    }
    return json(x);
  };
  switch (type) {
    case OptionType::flag:
      if (text == "true" || text == "1" || text == "yes") return checked(json(true));
      if (text == "false" || text == "0" || text == "no") return checked(json(false));
      fail_field(name, requirement() + ", got '" + text + "'");
    case OptionType::text:
    case OptionType::choice:
    case OptionType::texts:
      return checked(json(text));
    case OptionType::integer:
    case OptionType::number:
    case OptionType::numbers:
      return checked(number_of(text));
  }
  return json();
}

std::string ranges(const OptionSpec& s) {
  const bool limited = s.type == OptionType::choice || std::isfinite(s.lo) || std::isfinite(s.hi);
  return limited ? " (" + s.requirement() + ")" : "";
}

std::string shown_default(const OptionSpec& s, const json& value) {
  if (!s.shown_default.empty()) return s.shown_default;
  if (s.has(kPreset) && s.name != "preset") {
    OptionSpec plain = s;
    plain.traits &= ~unsigned(kPreset);
    return "preset's (none: " + shown_default(plain, value) + ")";
  }
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const json& v : value)
      out += (out.empty() ? "" : " ") + (v.is_string() ? v.get<std::string>() : v.dump());
    return out;
  }
  if (value.is_boolean()) return value.get<bool>() ? "on" : "off";
  if (value.is_number_float()) return plain(value.get<double>());
  return value.dump();
}

std::string flag_name(std::string_view name) {
  std::string flag(name);
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

}  // namespace charrnn
