// test_options.cpp — the option tables (base/options.h): checks by type and range with the
// field named, text from a command line, the JSON round trip, nested tables, and settings
// spelled in messages as each caller spells them.
#include <gtest/gtest.h>

#include "base/options.h"
#include "generate/sampler.h"
#include "test_util.h"
#include "train/train_config.h"

namespace charrnn {
namespace {

using testing::error_of;

struct Inner {
  int width = 3;
};
struct Outer {
  double rate = 0.5;
  std::string name = "x";
  std::vector<std::string> files;
  bool on = false;
  Inner inner;
};

OptionTable<Outer> table() {
  OptionTable<Inner> inner({option<Inner, int>(spec("width", "A", "a width").between(1, 8),
                                               [](Inner& i) -> int& { return i.width; })});
  OptionTable<Outer> t({
      option<Outer, double>(spec("rate", "A", "a rate").between(0, 1).below(1),
                            [](Outer& o) -> double& { return o.rate; }),
      option<Outer, std::string>(spec("name", "A", "a name"),
                                 [](Outer& o) -> std::string& { return o.name; }),
      option<Outer, std::vector<std::string>>(
          spec("files", "B", "some files"),
          [](Outer& o) -> std::vector<std::string>& { return o.files; }),
      option<Outer, bool>(spec("on", "B", "a switch"), [](Outer& o) -> bool& { return o.on; }),
  });
  t.nest<Inner>(inner, [](Outer& o) -> Inner& { return o.inner; });
  return t;
}

TEST(Options, ABadValueIsAUsageErrorNamingTheFieldAndTheRange) {
  const OptionTable<Outer> t = table();
  Outer o;
  Error e = error_of([&] { t.set(o, "rate", 1.0); });
  EXPECT_EQ(e.kind(), Error::Kind::usage);
  EXPECT_EQ(e.field(), "rate");
  EXPECT_STREQ(e.what(), "rate must be a number in [0, 1), got 1.0");
  e = error_of([&] { t.set(o, "width", 9); });
  EXPECT_EQ(e.field(), "width");
  EXPECT_STREQ(e.what(), "width must be between 1 and 8, got 9");
  e = error_of([&] { t.set(o, "name", 7); });
  EXPECT_STREQ(e.what(), "name must be a string, got 7");
  EXPECT_EQ(o.rate, 0.5);  // nothing stored on an error
}

TEST(Options, CommandLineTextIsParsedByTheRowsType) {
  const OptionSpec s = table().find("width")->spec;
  EXPECT_EQ(s.parse_text("4"), 4);
  EXPECT_EQ(s.parse_text("1e0"), 1);
  EXPECT_EQ(error_of([&] { s.parse_text("4.5"); }).field(), "width");
  EXPECT_EQ(error_of([&] { s.parse_text("many"); }).field(), "width");
  const OptionSpec rate = table().find("rate")->spec;
  EXPECT_DOUBLE_EQ(rate.parse_text("0.25").get<double>(), 0.25);
  EXPECT_EQ(error_of([&] { rate.parse_text("nan"); }).field(), "rate");
}

TEST(Options, JsonRoundTripsEveryRowNestedOnesIncluded) {
  const OptionTable<Outer> t = table();
  Outer o;
  o.rate = 0.25;
  o.name = "y";
  o.files = {"a", "b"};
  o.on = true;
  o.inner.width = 7;
  const nlohmann::json j = nlohmann::json(t.to_json(o));
  EXPECT_EQ(j["width"], 7);
  Outer back;
  t.from_json(j, back);
  EXPECT_EQ(back.rate, 0.25);
  EXPECT_EQ(back.name, "y");
  EXPECT_EQ(back.files, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(back.on);
  EXPECT_EQ(back.inner.width, 7);
}

TEST(Options, AbsentKeysKeepTheStructsDefaults) {
  Outer o;
  table().from_json({{"rate", 0.75}}, o);
  EXPECT_EQ(o.rate, 0.75);
  EXPECT_EQ(o.inner.width, 3);
  EXPECT_EQ(o.name, "x");
}

TEST(Options, ValidateChecksValuesSetInCode) {
  Outer o;
  o.inner.width = 0;
  EXPECT_EQ(error_of([&] { table().validate(o); }).field(), "width");
}

TEST(Options, MessagesSpellSettingsAsTheCallerDoes) {
  const Error e(Error::Kind::usage, "{top_k} must be >= 0", "lower {top_k} or raise {top_p}",
                "top_k");
  EXPECT_STREQ(e.what(), "top_k must be >= 0");
  EXPECT_EQ(e.hint(), "lower top_k or raise top_p");
  auto flag = [](const std::string& s) { return "--" + flag_name(s); };
  EXPECT_EQ(e.what_as(flag), "--top-k must be >= 0");
  EXPECT_EQ(e.hint_as(flag), "lower --top-k or raise --top-p");
  EXPECT_EQ(Error::spelled("a {b} {Not} {} {x_1}", flag), "a --b {Not} {} --x-1");
}

TEST(Options, TheTrainingTableHoldsEveryRecordedKeyOnce) {
  std::set<std::string> names;
  for (const auto& r : train_options().rows())
    EXPECT_TRUE(names.insert(r.spec.name).second) << r.spec.name << " twice";
  const nlohmann::json j = train_config_json(TrainConfig{});
  for (const char* key : {"unit", "script", "layers", "weight_drop", "dtype", "lr", "lr_schedule",
                          "minutes", "preset", "eval_symbols"})
    EXPECT_TRUE(j.contains(key)) << key;
  for (const char* key : {"model", "force", "quiet", "threads", "cache_dir"})
    EXPECT_FALSE(j.contains(key)) << key << " is how to run, not part of the record";
  const TrainConfig back = train_config_from_json(j);
  EXPECT_EQ(train_config_json(back), j);
}

}  // namespace
}  // namespace charrnn
