// flags.cpp — Boost flags from option rows (see flags.h).
#include "cli/flags.h"

namespace charrnn::cli {

std::string flag_help(const OptionSpec& s, const nlohmann::json& default_value) {
  const std::string shown = shown_default(s, default_value);
  if (shown.empty() || s.type == OptionType::flag) return s.help;
  return s.help + " [" + shown + "]";
}

void add_flag(po::options_description& group, const OptionSpec& s,
              const nlohmann::json& default_value) {
  const std::string flag = flag_name(s.name), help = flag_help(s, default_value);
  switch (s.type) {
    case OptionType::flag:
      group.add_options()(flag.c_str(), po::bool_switch(), help.c_str());
      return;
    case OptionType::texts:
    case OptionType::numbers:
      group.add_options()(flag.c_str(),
                          po::value<std::vector<std::string>>()->multitoken()->composing(),
                          help.c_str());
      return;
    case OptionType::integer:
    case OptionType::number:
    case OptionType::text:
    case OptionType::choice:
      group.add_options()(flag.c_str(), po::value<std::string>(), help.c_str());
      return;
  }
}

nlohmann::json given_value(const po::variables_map& vm, const OptionSpec& s) {
  const std::string flag = flag_name(s.name);
  if (!vm.count(flag) || vm[flag].defaulted()) return nullptr;
  switch (s.type) {
    case OptionType::flag:
      return vm[flag].as<bool>() ? nlohmann::json(true) : nlohmann::json();
    case OptionType::texts:
    case OptionType::numbers: {
      nlohmann::json list = nlohmann::json::array();
      for (const std::string& text : vm[flag].as<std::vector<std::string>>()) {
        const nlohmann::json v = s.parse_text(text);
        for (const auto& e : v.is_array() ? v : nlohmann::json::array({v})) list.push_back(e);
      }
      return list;
    }
    case OptionType::integer:
    case OptionType::number:
    case OptionType::text:
    case OptionType::choice:
      return s.parse_text(vm[flag].as<std::string>());
  }
  return nullptr;
}

// The library names settings as fields ("top_k must be ..."); here they are flags (--top-k).
std::string as_flag(const std::string& setting) {
  return "--" + flag_name(setting);
}

}  // namespace charrnn::cli
