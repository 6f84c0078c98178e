// flags.h — the command line's face of an option table (base/options.h): one Boost flag per
// row (--name-with-dashes, help with the default), and the given flags read back into the
// struct through the rows' own parsing and checks, with the list of what was given.
#pragma once

#include <boost/program_options.hpp>

#include <map>
#include <string>
#include <vector>

#include "base/options.h"

namespace charrnn::cli {

namespace po = boost::program_options;

// A library setting as this command spells it: "top_k" -> "--top-k" (for Error::spelled).
std::string as_flag(const std::string& setting);
// "help (default: X)" from the row and the struct's default value.
std::string flag_help(const OptionSpec& s, const nlohmann::json& default_value);
// Declares `s` as a flag in `group` (values as text, lists as repeatable/multi-token).
void add_flag(po::options_description& group, const OptionSpec& s,
              const nlohmann::json& default_value);
// The row's value as the flag gave it, or null when the flag was not given.
nlohmann::json given_value(const po::variables_map& vm, const OptionSpec& s);

// One options_description per group of the table, in first-appearance order; rows with a
// trait in `skip` (kHidden always) are left out.
template <class S>
std::vector<po::options_description> flag_groups(const OptionTable<S>& table, unsigned skip = 0) {
  std::vector<std::string> order;
  std::map<std::string, po::options_description> groups;
  const S defaults{};
  for (const Option<S>& r : table.rows()) {
    if (r.spec.traits & (skip | kHidden)) continue;
    if (!groups.count(r.spec.group)) {
      order.push_back(r.spec.group);
      groups.emplace(r.spec.group, po::options_description(r.spec.group));
    }
    add_flag(groups.at(r.spec.group), r.spec, r.get(defaults));
  }
  std::vector<po::options_description> out;
  for (const std::string& g : order) out.push_back(groups.at(g));
  return out;
}

// Stores every given flag of the table into `s` (checked: errors name the field, which main
// shows as the flag) and returns the names of the settings given.
template <class S>
std::vector<std::string> read_flags(const po::variables_map& vm, const OptionTable<S>& table,
                                    S& s) {
  std::vector<std::string> given;
  for (const Option<S>& r : table.rows()) {
    const nlohmann::json v = given_value(vm, r.spec);
    if (v.is_null()) continue;
    table.set(s, r.spec.name, v);
    given.push_back(r.spec.name);
  }
  return given;
}

}  // namespace charrnn::cli
