// error.cpp — throwing helpers for charrnn::Error (see error.h).
#include "charrnn/error.h"

namespace charrnn {

void fail(const std::string& what, const std::string& hint) {
  throw Error(Error::Kind::runtime, what, hint);
}

void fail_usage(const std::string& what, const std::string& hint) {
  throw Error(Error::Kind::usage, what, hint);
}

void fail_field(const std::string& field, const std::string& problem, const std::string& hint) {
  throw Error(Error::Kind::usage, "{" + field + "} " + problem, hint, field);
}

}  // namespace charrnn
