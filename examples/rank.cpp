// rank.cpp — ranks the lines of a file by how likely a model finds them (nats per character,
// most likely first): a scorer built on charrnn's public API.
//
//   rank kjv-small lines.txt
#include <charrnn/charrnn.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <utility>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: rank MODEL FILE\n";
    return 2;
  }
  try {
    const charrnn::Model model = charrnn::Model::open(argv[1]);
    std::ifstream in(argv[2]);
    if (!in)
      throw charrnn::Error(charrnn::Error::Kind::runtime, std::string("cannot read ") + argv[2]);
    std::vector<std::pair<double, std::string>> ranked;
    for (std::string line; std::getline(in, line);) {
      if (line.size() < 2) continue;  // nothing to predict
      charrnn::ScoreOptions options;
      options.batch = 1;
      ranked.emplace_back(model.score(line + "\n", options).nats_per_char, line);
    }
    std::sort(ranked.begin(), ranked.end());
    for (const auto& [nats, line] : ranked) std::printf("%7.4f  %s\n", nats, line.c_str());
  } catch (const charrnn::Error& e) {
    std::cerr << "rank: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
