// options.h — one declarative table per configuration (model, tokenizer, training, sampling):
// each row names a setting once, with its type, default, range, help, group and traits, and
// everything else is derived from the rows: the JSON record (to_json / from_json), validation
// with errors naming the field, the command line's flags (cli/flags.cpp), the resume check
// (train/train_config.cpp), inspect and the flag list of docs/usage.md.
//
// A row reaches its member through an accessor (S& -> T&), so rows of a nested struct are
// declared once, in the nested struct's own table, and taken whole by nest(). The default is
// whatever S{} holds: the struct's initializers are the one place defaults are written.
//
// Values travel as JSON at the edges (model.json, HTTP bodies, flags parsed from text); inside,
// the struct's members are typed, enums included (choice rows convert by a name function).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "charrnn/error.h"

namespace charrnn {

enum class OptionType { integer, number, flag, text, choice, texts, numbers };

// Traits of a row (bits).
enum OptionTrait : unsigned {
  kResumable = 1u,     // may differ on --resume: stop rules, output, precision
  kPreset = 2u,        // a preset chooses it unless it is given
  kUnsaved = 4u,       // not part of a run's record (training.config): how to run, not what
  kArchitecture = 8u,  // giving it turns the automatic preset off
  kHidden = 16u,       // not a flag (set from elsewhere, e.g. the number of MPI ranks)
};

struct OptionSpec {
  std::string name;   // snake_case: the JSON key and the error's field; flag: --name-with-dashes
  std::string group;  // --help section: "Data", "Model", "Optimization", "Output", "Sampling"
  std::string help;
  OptionType type = OptionType::number;
  double lo = -std::numeric_limits<double>::infinity();  // integer / number range (inclusive,
  double hi = std::numeric_limits<double>::infinity();   // unless open)
  bool lo_open = false, hi_open = false;
  double type_lo = -std::numeric_limits<double>::infinity();  // integers: what the member's
  double type_hi = std::numeric_limits<double>::infinity();   // type holds (not in messages)
  std::vector<std::string> choices;                           // choice: the accepted names
  std::string shown_default;  // printed instead of the value (e.g. "auto"); "" : the value
  unsigned traits = 0;
  // The problem a bad value reports ("must be between 1 and 16"), from the type and range.
  std::string requirement() const;
  // `v` converted to the row's type and checked against its range; throws fail_field.
  nlohmann::json checked(const nlohmann::json& v) const;
  // A command-line value (text) as JSON of the row's type; throws fail_field.
  nlohmann::json parse_text(const std::string& text) const;
  bool has(OptionTrait t) const { return (traits & t) != 0; }

  // Chained setters for the table's rows: spec("seq", ...).between(1, 100000).with(kPreset).
  OptionSpec& between(double low, double high) {
    lo = low;
    hi = high;
    return *this;
  }
  OptionSpec& at_least(double low) {
    lo = low;
    return *this;
  }
  OptionSpec& above(double low) {  // open: > low
    lo = low;
    lo_open = true;
    return *this;
  }
  OptionSpec& below(double high) {  // open: < high
    hi = high;
    hi_open = true;
    return *this;
  }
  OptionSpec& with(unsigned t) {
    traits |= t;
    return *this;
  }
  OptionSpec& shown_as(std::string text) {
    shown_default = std::move(text);
    return *this;
  }
};

inline OptionSpec spec(std::string name, std::string group, std::string help) {
  OptionSpec s;
  s.name = std::move(name);
  s.group = std::move(group);
  s.help = std::move(help);
  return s;
}

// " (must be ...)" for rows whose values are limited (numbers, choices); "" for the others.
std::string ranges(const OptionSpec& s);
// The flag of a setting: "weight_drop" -> "weight-drop".
std::string flag_name(std::string_view name);
// A default as help and docs show it: the row's shown_default, else the value ("" for none).
std::string shown_default(const OptionSpec& s, const nlohmann::json& value);

template <class S>
struct Option {
  OptionSpec spec;
  std::function<nlohmann::json(const S&)> get;
  std::function<void(S&, const nlohmann::json&)> put;  // of a checked value
};

// A row over the member that `ref` returns. T: int, int64_t, uint64_t, double, bool,
// std::string, std::vector<std::string> or std::vector<double>.
template <class S, class T>
Option<S> option(OptionSpec spec, T& (*ref)(S&)) {
  using json = nlohmann::json;
  if constexpr (std::is_same_v<T, bool>)
    spec.type = OptionType::flag;
  else if constexpr (std::is_integral_v<T>)
    spec.type = OptionType::integer;
  else if constexpr (std::is_floating_point_v<T>)
    spec.type = OptionType::number;
  else if constexpr (std::is_same_v<T, std::string>)
    spec.type = spec.choices.empty() ? OptionType::text : OptionType::choice;
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    spec.type = OptionType::texts;
  else
    spec.type = OptionType::numbers;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    spec.type_lo = double(std::numeric_limits<T>::min());
    spec.type_hi = double(std::numeric_limits<T>::max());
  }
  return {std::move(spec), [ref](const S& s) { return json(ref(const_cast<S&>(s))); },
          [ref](S& s, const json& v) { ref(s) = v.get<T>(); }};
}

// A row over an enum member: `name` spells each of `values` (a switch, so that a new kind is a
// compile-time warning there); the JSON and the flags carry the names.
template <class S, class E>
Option<S> choice(OptionSpec spec, E& (*ref)(S&), std::vector<E> values, std::string (*name)(E)) {
  spec.type = OptionType::choice;
  spec.choices.clear();
  for (E e : values) spec.choices.push_back(name(e));
  return {std::move(spec),
          [ref, name](const S& s) { return nlohmann::json(name(ref(const_cast<S&>(s)))); },
          [ref, values, name](S& s, const nlohmann::json& v) {
            for (E e : values)
              if (name(e) == v.get<std::string>()) ref(s) = e;
          }};
}

template <class S>
class OptionTable {
 public:
  OptionTable() = default;
  explicit OptionTable(std::vector<Option<S>> rows) : rows_(std::move(rows)) {}

  // Every row of `inner`, reached through `ref` (the nested struct's own table).
  template <class P>
  void nest(const OptionTable<P>& inner, P& (*ref)(S&)) {
    for (const Option<P>& r : inner.rows())
      rows_.push_back({r.spec,
                       [get = r.get, ref](const S& s) { return get(ref(const_cast<S&>(s))); },
                       [put = r.put, ref](S& s, const nlohmann::json& v) { put(ref(s), v); }});
  }
  void add(Option<S> row) { rows_.push_back(std::move(row)); }

  const std::vector<Option<S>>& rows() const { return rows_; }
  const Option<S>* find(std::string_view name) const {
    for (const Option<S>& r : rows_)
      if (r.spec.name == name) return &r;
    return nullptr;
  }

  // Checks `v` (type and range) and stores it; throws fail_field naming the row.
  void set(S& s, const std::string& name, const nlohmann::json& v) const {
    const Option<S>* r = find(name);
    if (!r) fail_usage("unknown setting '" + name + "'");
    r->put(s, r->spec.checked(v));
  }
  // Every row (but those with a trait in `skip`), in table order.
  nlohmann::ordered_json to_json(const S& s, unsigned skip = 0) const {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const Option<S>& r : rows_)
      if (!(r.spec.traits & skip)) j[r.spec.name] = r.get(s);
    return j;
  }
  // The rows that `j` holds (others keep the value s has; unknown keys are not read).
  void from_json(const nlohmann::json& j, S& s) const {
    if (!j.is_object()) fail_usage("settings must be a JSON object");
    for (const Option<S>& r : rows_) {
      auto it = j.find(r.spec.name);
      if (it != j.end() && !it->is_null()) r.put(s, r.spec.checked(*it));
    }
  }
  // The table as a Markdown table of flags (docs/usage.md): flag, default, meaning and the
  // accepted values; rows with a trait in `skip` (kHidden always) are left out.
  std::string to_markdown(unsigned skip = 0) const {
    const S defaults{};
    std::string md = "| flag | default | meaning |\n|---|---|---|\n";
    for (const Option<S>& r : rows_) {
      if (r.spec.traits & (skip | kHidden)) continue;
      md += "| `--" + flag_name(r.spec.name) + "` | " + shown_default(r.spec, r.get(defaults)) +
            " | " + r.spec.help + ranges(r.spec) + " |\n";
    }
    return md;
  }
  // Every row's value against its type and range (for structs filled in code).
  void validate(const S& s) const {
    for (const Option<S>& r : rows_) r.spec.checked(r.get(s));
  }

 private:
  std::vector<Option<S>> rows_;
};

}  // namespace charrnn
