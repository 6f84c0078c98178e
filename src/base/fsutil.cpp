// fsutil.cpp — file-system helpers (see fsutil.h): std::filesystem where it does the job, POSIX
// where checkpoints need what it lacks (fsync, an atomic directory swap).
#include "base/fsutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "charrnn/error.h"

namespace charrnn {
namespace {

namespace fs = std::filesystem;

std::string sys_error() {
  return std::strerror(errno);
}

}  // namespace

void write_file_synced(const std::string& path, const void* data, size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    fail("cannot create " + path + ": " + sys_error(), "check that the directory is writable");
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = n < 0 ? sys_error() : "short write";
      ::close(fd);
      fail("cannot write " + path + ": " + why, "free some disk space and try again");
    }
    p += n;
    left -= size_t(n);
  }
  if (::fsync(fd) != 0) {
    std::string why = sys_error();
    ::close(fd);
    fail("cannot flush " + path + " to disk: " + why);
  }
  if (::close(fd) != 0) fail("cannot close " + path + ": " + sys_error());
}

void fsync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some file systems do not allow opening directories
  ::fsync(fd);
  ::close(fd);
}

std::string read_file(const std::string& path, const std::string& what) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) fail(what + " " + path + ": " + sys_error(), "check the path");
  if (S_ISDIR(st.st_mode)) fail(what + " " + path + " is a directory", "give a file");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(what + " " + path + ": " + sys_error(), "check the permissions");
  std::string data(size_t(st.st_size), '\0');
  size_t got = std::fread(data.data(), 1, data.size(), f);
  bool bad = std::ferror(f) || got != data.size();
  std::fclose(f);
  if (bad) fail("read error in " + what + " " + path);
  return data;
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

bool directory_is_empty(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_empty(path, ec) && !ec;
}

void make_dirs(const std::string& path) {
  std::error_code ec;
  if (path.empty() || fs::is_directory(path, ec)) return;
  if (!fs::create_directories(path, ec) && ec)
    fail("cannot create directory " + path + ": " + ec.message(),
         "check the permissions of its parent");
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);  // silent: callers remove what may not exist
}

std::string parent_dir(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "a/b/" -> "a/b"
  if (!p.has_parent_path()) return p.is_absolute() ? "/" : ".";
  return p.parent_path().string();
}

std::string base_name(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  return p.filename().string();
}

void replace_directory(const std::string& staged, const std::string& target,
                       const std::string& old) {
  if (!path_exists(target)) {
    if (::rename(staged.c_str(), target.c_str()) != 0)
      fail("cannot move " + staged + " to " + target + ": " + sys_error());
    return;
  }
  // One atomic step where supported: target and staged trade places.
  if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    if (::rename(staged.c_str(), old.c_str()) != 0) remove_tree(staged);
    return;
  }
  // Two steps otherwise; a loader that finds no target falls back to `old`.
  if (::rename(target.c_str(), old.c_str()) != 0)
    fail("cannot move " + target + " aside: " + sys_error());
  if (::rename(staged.c_str(), target.c_str()) != 0)
    fail("cannot move " + staged + " to " + target + ": " + sys_error(),
         "the previous checkpoint is intact at " + old);
}

void restore_interrupted_replace(const std::string& target, const std::string& old) {
  if (path_exists(target) || !path_exists(old)) return;
  if (::rename(old.c_str(), target.c_str()) != 0)
    fail("cannot move " + old + " back to " + target + ": " + sys_error(),
         "move it back by hand: it holds the last complete copy");
  fsync_dir(parent_dir(target));
}

}  // namespace charrnn
