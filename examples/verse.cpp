// verse.cpp — a verse generator with a stop string: streams the continuation of a prompt and
// ends before the stop string (default "\n  ", where the next KJV verse begins), or after 600
// symbols. What might be the start of the stop string is held back until it is not.
//
//   verse kjv-small "And God said" [SEED] [STOP]
#include <charrnn/charrnn.h>

#include <algorithm>
#include <iostream>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: verse MODEL PROMPT [SEED] [STOP]\n";
    return 2;
  }
  try {
    const charrnn::Model model = charrnn::Model::open(argv[1]);
    charrnn::SampleOptions options;
    options.temperature = 0.7;
    options.seed = argc > 3 ? std::stoull(argv[3]) : 1;
    const std::string stop = argc > 4 ? argv[4] : "\n  ";
    std::string held;  // generated, not yet printed: a prefix of `stop`
    std::cout << argv[2];
    model.generate(argv[2], 600, options, [&](const std::string& symbol) {
      held += symbol;
      if (held.find(stop) != std::string::npos) return false;  // ends before the stop string
      size_t keep = std::min(held.size(), stop.size() - 1);    // longest suffix that may start it
      while (keep > 0 && held.compare(held.size() - keep, keep, stop, 0, keep) != 0) --keep;
      std::cout << held.substr(0, held.size() - keep) << std::flush;
      held.erase(0, held.size() - keep);
      return true;
    });
    std::cout << "\n";
  } catch (const charrnn::Error& e) {
    std::cerr << "verse: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
