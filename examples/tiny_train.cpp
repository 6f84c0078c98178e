// tiny_train.cpp — trains a tiny model from code, printing each evaluation, then writes a line
// with it: charrnn's training API with a progress callback.
//
//   tiny_train corpus.txt model-dir [STEPS]
#include <charrnn/charrnn.h>

#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: tiny_train CORPUS MODEL_DIR [STEPS]\n";
    return 2;
  }
  try {
    charrnn::TrainOptions options;
    options.corpus = {argv[1]};
    options.model_dir = argv[2];
    options.force = true;
    options.layers = 1;
    options.hidden = 64;
    options.embed = 32;
    options.steps = argc > 3 ? std::stoll(argv[3]) : 100;
    options.eval_every = options.steps / 2;
    const charrnn::TrainSummary s = charrnn::train(options, [](const charrnn::TrainProgress& p) {
      if (p.kind == charrnn::TrainProgress::Kind::eval)
        std::printf("step %lld: validation %.4f nats/char%s\n", (long long)p.step, p.val_loss,
                    p.improved ? " (best)" : "");
    });
    std::printf("trained %lld steps in %.1f s with charrnn %s\n", (long long)s.steps, s.seconds,
                charrnn::version());
    std::cout << charrnn::Model::open(argv[2]).generate("", 80).text << "\n";
  } catch (const charrnn::Error& e) {
    std::cerr << "tiny_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
