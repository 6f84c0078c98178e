// page.h — the web page served at GET /: plain HTML, CSS and JavaScript compiled into the
// binary (no CDN, no build step; it works offline). page.cpp holds it.
#pragma once

#include <string>

namespace charrnn::serve {

const std::string& page_html();

}  // namespace charrnn::serve
