// plot.h — loss curves as a self-contained SVG (no dependencies), written into every
// checkpoint directory as loss.svg: train and validation loss against tokens seen.
#pragma once

#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"

namespace charrnn {

std::string loss_svg(const std::vector<HistoryPoint>& history, const std::string& title);

}  // namespace charrnn
