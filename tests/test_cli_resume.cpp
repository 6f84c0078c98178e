// test_cli_resume.cpp — what `charrnn train --resume` accepts and refuses, with the real
// binary: settings that would change the run, the command the run was started with, and a
// preset compared by the values it sets.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_training.h"

namespace charrnn {
namespace {

using testing::CliTraining;
using testing::Result;
using testing::slurp;
using testing::write_text;

TEST_F(CliTraining, ResumeRefusesSettingsThatWouldChangeTheRun) {
  ASSERT_EQ(run(train_args("r") + " --steps 5").code, 0);
  Result r = run("train --resume " + dir_ + "/r --hidden 64");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--hidden is 24 in the checkpoint " + dir_ + "/r but 64 was given"),
            std::string::npos)
      << r.err;
  write_text(dir_ + "/other.txt", slurp(corpus_) + "more text\n");
  Result c = run("train --resume " + dir_ + "/r --corpus " + dir_ + "/other.txt --steps 10");
  EXPECT_EQ(c.code, 1);
  EXPECT_NE(c.err.find("corpus differs"), std::string::npos) << c.err;
}

// A user reruns the command that started the run with --resume appended (--force and --model
// included, as `make demo` has them): that is a resumed run, not an error.
TEST_F(CliTraining, ResumeAcceptsTheCommandTheRunWasStartedWith) {
  ASSERT_EQ(run(train_args("same") + " --steps 5 --force").code, 0);
  Result r = run(train_args("same") + " --steps 9 --force --resume " + dir_ + "/same");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(model_json("same")["training"]["state"]["step"], 9);
}

TEST_F(CliTraining, ResumeWithOneChangedFlagNamesBothValues) {
  ASSERT_EQ(run(train_args("changed") + " --steps 5").code, 0);
  std::string args = train_args("changed");
  args.replace(args.find("--batch 8"), 9, "--batch 4");
  Result r = run(args + " --steps 9 --resume " + dir_ + "/changed");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--batch is 8 in the checkpoint " + dir_ + "/changed but 4 was given"),
            std::string::npos)
      << r.err;
  Result m = run("train --resume " + dir_ + "/changed --model " + dir_ + "/elsewhere --steps 9");
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(
      m.err.find("--model is " + dir_ + "/elsewhere but --resume continues " + dir_ + "/changed"),
      std::string::npos)
      << m.err;
}

// A preset on --resume is compared as the values it stands for.
TEST_F(CliTraining, ResumeComparesAPresetByTheValuesItSets) {
  const std::string start =
      "train --corpus " + corpus_ + " --model " + dir_ + "/p --preset tiny --threads 1 --quiet";
  ASSERT_EQ(run(start + " --steps 3").code, 0);
  EXPECT_EQ(run(start + " --steps 5 --resume " + dir_ + "/p").code, 0);
  Result r = run("train --resume " + dir_ + "/p --preset small --steps 7");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--preset small sets layers to 2, but the checkpoint " + dir_ + "/p has 1"),
            std::string::npos)
      << r.err;
}

// The flags that replaced some of a fixed preset's values stay replaced when the run resumes:
// the preset is not applied a second time over the checkpoint's settings.
TEST_F(CliTraining, ResumeKeepsTheFlagsThatReplacedAPresetsValues) {
  const std::string start = "train --corpus " + corpus_ + " --model " + dir_ +
                            "/pv --preset tiny --seq 8 --batch 4 --threads 1 --quiet";
  ASSERT_EQ(run(start + " --steps 3").code, 0);
  Result r = run("train --resume " + dir_ + "/pv --steps 5");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json training = model_json("pv")["training"];
  EXPECT_EQ(training["config"]["seq"], 8);
  EXPECT_EQ(training["config"]["batch"], 4);
  EXPECT_EQ(training["state"]["step"], 5);
  Result again = run(start + " --steps 7 --resume " + dir_ + "/pv");  // the start command
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(model_json("pv")["training"]["state"]["step"], 7);
}

}  // namespace
}  // namespace charrnn
