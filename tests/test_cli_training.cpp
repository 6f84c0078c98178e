// test_cli_training.cpp — training people can trust, with the real binary: exact resume,
// Ctrl-C (exit 130, saved, resumable to the same weights), kill -9 at random moments,
// loss.svg, presets, samples while training. What --resume refuses: test_cli_resume.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "base/fsutil.h"
#include "checkpoint/checkpoint.h"
#include "cli_training.h"

namespace charrnn {
namespace {

using testing::CliTraining;
using testing::Result;
using testing::slurp;
using testing::write_text;

void expect_same_run(const nlohmann::json& a, const nlohmann::json& b, const std::string& dir_a,
                     const std::string& dir_b) {
  ASSERT_EQ(a["history"].size(), b["history"].size());
  for (size_t i = 0; i < a["history"].size(); ++i) {
    EXPECT_EQ(a["history"][i]["step"], b["history"][i]["step"]);
    EXPECT_NEAR(a["history"][i]["train_loss"].get<double>(),
                b["history"][i]["train_loss"].get<double>(), 1e-6);
    EXPECT_NEAR(a["history"][i]["val_loss"].get<double>(),
                b["history"][i]["val_loss"].get<double>(), 1e-6);
  }
  for (WhichWeights which : {WhichWeights::last, WhichWeights::best}) {
    const auto wa = load_checkpoint(dir_a, which).params;
    const auto wb = load_checkpoint(dir_b, which).params;
    ASSERT_EQ(wa.size(), wb.size());
    for (size_t i = 0; i < wa.size(); ++i) ASSERT_NEAR(wa[i], wb[i], 1e-6) << "parameter " << i;
  }
}

TEST_F(CliTraining, StoppedAndResumedEqualsUninterrupted) {
  ASSERT_EQ(run(train_args("whole") + " --steps 60 --eval-every 20").code, 0);
  ASSERT_EQ(run(train_args("parts") + " --steps 40 --eval-every 20").code, 0);
  Result r = run("train --resume " + dir_ + "/parts --steps 60 --threads 1 --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  expect_same_run(model_json("whole"), model_json("parts"), dir_ + "/whole", dir_ + "/parts");
}

// --ema: the validation loss is that of the averaged weights, which are what weights.safetensors
// keeps (`eval` of the best weights on the validation text gives the recorded loss), while
// last.safetensors keeps the raw weights that training continues from.
TEST_F(CliTraining, EmaValidatesAndKeepsTheAveragedWeights) {
  ASSERT_EQ(run(train_args("avg") + " --steps 30 --eval-every 30 --eval-batch 4").code, 0);
  const nlohmann::json m = model_json("avg");
  ASSERT_EQ(m["best"]["step"], 30);
  const std::string text = slurp(corpus_);  // ASCII: one symbol per byte
  write_text(dir_ + "/val.txt", text.substr(size_t(double(text.size()) * (1.0 - 0.1))));
  Result r =
      run("eval --model " + dir_ + "/avg --text " + dir_ + "/val.txt --batch 4 --seq 16 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(r.out)["nats_per_char"].get<double>(),
              m["best"]["val_loss"].get<double>(), 1e-4);
  const auto best = load_checkpoint(dir_ + "/avg", WhichWeights::best).params;
  const auto last = load_checkpoint(dir_ + "/avg", WhichWeights::last).params;
  double diff = 0;
  for (size_t i = 0; i < best.size(); ++i)
    diff = std::max(diff, double(std::fabs(best[i] - last[i])));
  EXPECT_GT(diff, 1e-4) << "the best weights of step 30 are the raw weights, not their average";
  EXPECT_NE(run("inspect " + dir_ + "/avg").out.find("best weights averaged (ema 0.9)"),
            std::string::npos);
}

TEST_F(CliTraining, CtrlCSavesExits130AndResumesToTheSameWeights) {
  pid_t pid = spawn(train_args("cut") + " --steps 1000000 --eval-every 50");
  wait_for_saved_step("cut", 50);
  ::kill(pid, SIGINT);
  ASSERT_EQ(wait_exit(pid), 130) << slurp(dir_ + "/bg.err");
  EXPECT_NE(slurp(dir_ + "/bg.err").find("--resume"), std::string::npos);
  const int64_t cut = model_json("cut")["training"]["state"]["step"];
  ASSERT_GT(cut, 0);
  // An interrupt saves state, not an evaluation: only the every-50-steps points are there.
  const nlohmann::json saved = model_json("cut");  // a named copy: the loop must not outlive it
  for (const auto& h : saved["history"]) EXPECT_EQ(h["step"].get<int64_t>() % 50, 0);
  const std::string total = std::to_string(cut + 25);
  ASSERT_EQ(run("train --resume " + dir_ + "/cut --steps " + total + " --threads 1 --quiet").code,
            0);
  ASSERT_EQ(run(train_args("whole") + " --steps " + total + " --eval-every 50").code, 0);
  expect_same_run(model_json("whole"), model_json("cut"), dir_ + "/whole", dir_ + "/cut");
}

// A cosine anneals at the end of its plan; an interrupted run resumed without a stop rule
// finishes the plan it had, so it equals the run that was never interrupted.
TEST_F(CliTraining, AnInterruptedRunResumedWithoutAStopRuleFinishesItsPlanExactly) {
  auto cosine = [&](const std::string& model) {
    std::string args = train_args(model);
    args.replace(args.find("constant"), 8, "cosine");
    // Long enough that the interrupt lands before the end: 150 steps once finished in the
    // moment between the first save and the signal (CI, 2026-12-03).
    return args + " --steps 1500 --eval-every 100";
  };
  pid_t pid = spawn(cosine("cut"));
  wait_for_saved_step("cut", 100);
  ::kill(pid, SIGINT);
  ASSERT_EQ(wait_exit(pid), 130) << slurp(dir_ + "/bg.err");
  ASSERT_LT(model_json("cut")["training"]["state"]["step"].get<int64_t>(), 1500);
  Result r = run("train --resume " + dir_ + "/cut --threads 1 --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(run(cosine("whole")).code, 0);
  const nlohmann::json cut = model_json("cut");
  EXPECT_EQ(cut["training"]["state"]["step"], 1500);
  EXPECT_EQ(cut["training"]["state"]["plans"].size(), 1u);
  EXPECT_NEAR(cut["training"]["state"]["lr"].get<double>(), 2e-4, 1e-5);  // annealed
  expect_same_run(model_json("whole"), cut, dir_ + "/whole", dir_ + "/cut");
}

// The regression test for session 1's heap corruption: a signal delivered to a thread inside
// oneDNN's JIT kernels corrupted memory (see src/cli/stop_signals.cpp). Thousands of signals
// during training must now change nothing: SIGUSR2 is taken and dropped by the watcher thread.
TEST_F(CliTraining, ASignalFloodDuringTrainingNeverReachesTheComputeThread) {
  pid_t pid = spawn(train_args("flood") + " --steps 1000000 --eval-every 20");
  wait_for_saved_step("flood", 20);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(::kill(pid, SIGUSR2), 0)
        << "charrnn died during the flood: " << slurp(dir_ + "/bg.err");
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(pid, SIGINT);
  ASSERT_EQ(wait_exit(pid), 130) << slurp(dir_ + "/bg.err");
  EXPECT_GT(load_checkpoint(dir_ + "/flood", WhichWeights::last).meta.state.step, 20);
}

TEST_F(CliTraining, ASecondCtrlCAbortsAtOnceAndKeepsTheLastCheckpoint) {
  pid_t pid = spawn(train_args("twice") + " --steps 1000000 --eval-every 10");
  wait_for_saved_step("twice", 10);
  ::kill(pid, SIGINT);
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 130) << slurp(dir_ +
                                          "/bg.err");  // saved and exited, or killed by SIGINT
  EXPECT_GE(load_checkpoint(dir_ + "/twice", WhichWeights::last, true).meta.state.step, 10);
}

TEST_F(CliTraining, KillDashNineAlwaysLeavesALoadableCheckpoint) {
  for (int delay_ms : {40, 170, 300, 550, 800}) {  // before, during and between saves
    pid_t pid = spawn(train_args("k") + " --steps 1000000 --eval-every 3 --force");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(pid, SIGKILL);
    wait_exit(pid);
    if (!path_exists(dir_ + "/k") && !path_exists(dir_ + "/.k.old"))
      continue;  // killed before any save
    EXPECT_NO_THROW(load_checkpoint(dir_ + "/k", WhichWeights::last, true))
        << "killed after " << delay_ms << " ms";
  }
  ASSERT_NO_THROW(load_checkpoint(dir_ + "/k"));
  const int64_t step = load_checkpoint(dir_ + "/k").meta.state.step;
  Result r = run("train --resume " + dir_ + "/k --steps " + std::to_string(step + 3) +
                 " --threads 1 --quiet");
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(CliTraining, DiskFullWhileSavingKeepsThePreviousCheckpoint) {
  ASSERT_EQ(run(train_args("full") + " --steps 10 --eval-every 5").code, 0);
  const std::string before = slurp(dir_ + "/full/last.safetensors");
  // 40 KiB per file: the tensor files (about 60 KiB here) cannot be written.
  Result r =
      testing::run_charrnn_cmd("ulimit -f 40; " + std::string(CHARRNN_BIN) + " train --resume " +
                                   dir_ + "/full --steps 20 --threads 1 --quiet",
                               dir_);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: free some disk space"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(dir_ + "/full/last.safetensors"), before);
  EXPECT_EQ(load_checkpoint(dir_ + "/full").meta.state.step, 10);
}

TEST_F(CliTraining, NonFiniteGradientSkipsTheStepAndTrainingGoesOn) {
  Result r = testing::run_charrnn_cmd("CHARRNN_FAULT_NAN_STEPS=7-8 " + std::string(CHARRNN_BIN) +
                                          " " + train_args("nan") + " --steps 12 --eval-every 6",
                                      dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("non-finite loss or gradient at step 7; step skipped"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("at step 8; step skipped"), std::string::npos) << r.err;
  ASSERT_EQ(run(train_args("nan2") + " --steps 12 --eval-every 6").code, 0);
  auto j = model_json("nan");
  EXPECT_EQ(j["training"]["state"]["step"], 12);
  EXPECT_TRUE(std::isfinite(j["history"][1]["val_loss"].get<double>()));
  EXPECT_NE(j["history"][1]["val_loss"],
            model_json("nan2")["history"][1]["val_loss"]);  // two updates skipped
}

TEST_F(CliTraining, RepeatedNonFiniteGradientsStopWithTheLastGoodCheckpoint) {
  Result r = testing::run_charrnn_cmd("CHARRNN_FAULT_NAN_STEPS=9-1000 " + std::string(CHARRNN_BIN) +
                                          " " + train_args("div") + " --steps 40 --eval-every 4",
                                      dir_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("5 steps in a row had a non-finite loss or gradient"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("hint: lower --lr"), std::string::npos) << r.err;
  LoadedCheckpoint ck = load_checkpoint(dir_ + "/div", WhichWeights::last);
  EXPECT_EQ(ck.meta.state.step, 12);  // saved at step 12; steps 9-12 were skipped, not applied
  for (float w : ck.params) ASSERT_TRUE(std::isfinite(w));
}

TEST_F(CliTraining, CheckpointHasALossPlot) {
  ASSERT_EQ(run(train_args("p") + " --steps 30 --eval-every 10").code, 0);
  const std::string svg = slurp(dir_ + "/p/loss.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("tokens seen"), std::string::npos);
  EXPECT_NE(svg.find("validation"), std::string::npos);
  size_t lines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos;
       at = svg.find("<polyline", at + 1))
    ++lines;
  EXPECT_EQ(lines, 2u);
}

TEST_F(CliTraining, PresetSetsTheSizeAndExplicitFlagsWin) {
  ASSERT_EQ(run("train --corpus " + corpus_ + " --model " + dir_ +
                "/t --preset tiny --hidden 40 --steps 2 --quiet")
                .code,
            0);
  auto arch = model_json("t")["architecture"];
  EXPECT_EQ(arch["layers"], 1);
  EXPECT_EQ(arch["hidden"], 40);
  EXPECT_EQ(arch["embedding"], 32);
  EXPECT_EQ(run("train --corpus " + corpus_ + " --model " + dir_ + "/u --preset huge").code, 2);
}

TEST_F(CliTraining, AnArchitectureFlagWithoutAPresetSaysHowToKeepTheAutomaticPreset) {
  const Result r = run("train --corpus " + corpus_ + " --model " + dir_ +
                       "/l --layers 1 --hidden 12 --embed 8 --steps 2 --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("preset none: --layers was given"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("give --preset auto as well"), std::string::npos) << r.out;
  EXPECT_EQ(model_json("l")["training"]["config"]["preset"], "none");
  const Result asked = run("train --corpus " + corpus_ + " --model " + dir_ +
                           "/n --preset none --hidden 12 --embed 8 --steps 2 --threads 1");
  ASSERT_EQ(asked.code, 0) << asked.err;
  EXPECT_EQ(asked.out.find("preset none:"), std::string::npos) << asked.out;
}

TEST_F(CliTraining, MediumPresetIsTheTunedRecipe) {
  // Small sizes and a 0.6 s budget: only the resolved recipe is checked here.
  ASSERT_EQ(run("train --corpus " + corpus_ + " --model " + dir_ +
                "/m --preset medium --hidden 16 --seq 8 --batch 4 "
                "--minutes 0.01 --threads 1 --quiet")
                .code,
            0);
  const auto cfg = model_json("m")["training"]["config"];
  EXPECT_EQ(cfg["layers"], 2);
  EXPECT_EQ(cfg["hidden"], 16);  // given: explicit flags win
  EXPECT_EQ(cfg["dropout"], 0.5);
  EXPECT_EQ(cfg["output_dropout"], 0.5);
  EXPECT_EQ(cfg["weight_drop"], 0.5);
  EXPECT_EQ(cfg["weight_decay"], 0.1);
  EXPECT_EQ(cfg["lr_schedule"], "cosine");
  // The minutes are the budget: the schedule is planned to end with them, not after the
  // preset's 7,200 steps (which apply only when no stop rule is given).
  EXPECT_EQ(cfg["steps"], 0);
  EXPECT_EQ(model_json("m")["training"]["state"]["plans"].size() >= 1, true);
  EXPECT_EQ(cfg["dtype"], "f32");  // a budget under a minute is not worth a probe
}

TEST_F(CliTraining, ABudgetedRunTimesItsSizeWithTheDropoutsGiven) {
  // The automatic preset times its sizes before training; given dropouts are timed with them,
  // so the timing network needs masks too (this stopped with an internal error before).
  ASSERT_EQ(
      run("train --corpus " + corpus_ + " --model " + dir_ +
          "/a --preset auto --hidden 16 --embed 8 --dropout 0.2 --weight-drop 0.3 --minutes 0.02 "
          "--threads 1 --quiet")
          .code,
      0);
  const auto training = model_json("a")["training"];
  EXPECT_EQ(training["config"]["preset"], "auto");
  EXPECT_EQ(training["config"]["dropout"], 0.2);
  EXPECT_EQ(training["config"]["weight_drop"], 0.3);
  EXPECT_GE(training["setup"]["auto"]["measured"].size(), 1u);
}

TEST_F(CliTraining, ABudgetedRunDoesNotTimeSizesItsCorpusCannotHold) {
  // An hour would feed every size of the ladder, but this corpus of about 17,500 training
  // symbols holds none of them (at most 10 parameters per symbol): only the smallest is timed,
  // the one it trains, as the ladder must offer one.
  ASSERT_EQ(run("train --corpus " + corpus_ + " --model " + dir_ +
                "/s --minutes 60 --steps 2 --threads 1 --quiet")
                .code,
            0);
  const auto training = model_json("s")["training"];
  ASSERT_GE(training["setup"]["auto"]["measured"].size(), 1u);
  for (const auto& m : training["setup"]["auto"]["measured"]) EXPECT_EQ(m["hidden"], 128) << m;
  EXPECT_EQ(training["config"]["hidden"], 128);
}

TEST_F(CliTraining, ABudgetedRunPlansFromTheProbeNotFromTheProbesMixedSteps) {
  // The probe's steps run in several precisions and thread counts; a plan timed on them was
  // recorded and logged, then replaced by the probe's own at once (a step cap keeps it short).
  Result r = run("train --corpus " + corpus_ + " --model " + dir_ +
                 "/p --hidden 16 --embed 8 --seq 8 --batch 4 --minutes 1 --steps 60 --threads 0");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto training = model_json("p")["training"];
  if (!training["setup"].contains("probe")) GTEST_SKIP() << "one core without bf16: no probe";
  const size_t probe_steps = 3 * training["setup"]["probe"]["timings"].size();
  ASSERT_EQ(training["state"]["plans"].size(), 1u);
  EXPECT_EQ(training["state"]["plans"][0]["from"], probe_steps);
  const size_t probe_line = r.out.find("probe:"), plan_line = r.out.find("plan:");
  ASSERT_NE(plan_line, std::string::npos) << r.out;
  EXPECT_GT(plan_line, probe_line) << r.out;  // the log shows the plan that is in force
}

// --sample-every: after the evaluation line, one sample per temperature, each introduced by a
// line that says so; none with --quiet; and the training itself is unchanged by sampling.
TEST_F(CliTraining, SamplesWhileTrainingFollowTheEvaluationLineAndChangeNothing) {
  const std::string args = " --steps 20 --eval-every 10";
  const std::string plain = train_args("plain"), sampled = train_args("sampled");
  ASSERT_EQ(run(plain + args).code, 0);
  std::string loud = sampled;
  loud.replace(loud.find(" --quiet"), 8, "");
  Result r = run(loud + args + " --sample-every 10 --sample-length 30 --sample-temperature 0.5 1");
  ASSERT_EQ(r.code, 0) << r.err;
  const size_t eval10 = r.out.find("step 10 | train"),
               head = r.out.find("--- sample at step 10, temperature 0.5 ---");
  ASSERT_NE(eval10, std::string::npos) << r.out;
  ASSERT_NE(head, std::string::npos) << r.out;
  EXPECT_LT(eval10, head);
  EXPECT_NE(r.out.find("--- sample at step 20, temperature 1 ---"), std::string::npos) << r.out;
  EXPECT_EQ(model_json("plain")["files"]["last"]["sha256"],
            model_json("sampled")["files"]["last"]["sha256"]);
  Result quiet = run(train_args("q") + args + " --sample-every 10");
  EXPECT_EQ(quiet.out.find("sample"), std::string::npos) << quiet.out;
}

TEST_F(CliTraining, EveryCheckpointFromStepZeroCanGenerate) {
  ASSERT_EQ(run(train_args("z") + " --steps 1 --eval-every 0").code, 0);
  Result g = run("generate --model " + dir_ + "/z --length 20");
  EXPECT_EQ(g.code, 0) << g.err;
}

}  // namespace
}  // namespace charrnn
