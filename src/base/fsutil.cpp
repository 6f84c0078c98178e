// fsutil.cpp — POSIX file-system helpers (see fsutil.h).
#include "base/fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "charrnn/error.h"

namespace charrnn {
namespace {

std::string sys_error() { return std::strerror(errno); }

}  // namespace

void write_file_synced(const std::string& path, const void* data, size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create " + path + ": " + sys_error(), "check that the directory is writable");
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

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool directory_is_empty(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return false;
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") { empty = false; break; }
  }
  ::closedir(d);
  return empty;
}

void make_dirs(const std::string& path) {
  if (path.empty() || is_directory(path)) return;
  make_dirs(parent_dir(path));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    fail("cannot create directory " + path + ": " + sys_error(), "check the permissions of its parent");
}

void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") remove_tree(path + "/" + name);
      }
      ::closedir(d);
    }
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

std::string parent_dir(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
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

}  // namespace charrnn
