// fsutil.h — the few file-system operations checkpoints need, with errors that name the path.
#pragma once

#include <cstddef>
#include <string>

namespace charrnn {

// The whole file; errors name `what` ("corpus", "tensor file") and the path.
std::string read_file(const std::string& path, const std::string& what);
// Writes `size` bytes to `path` (created or truncated), then fsyncs it.
void write_file_synced(const std::string& path, const void* data, size_t size);
void fsync_dir(const std::string& path);
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
bool directory_is_empty(const std::string& path);  // false when unreadable
void make_dirs(const std::string& path);           // mkdir -p
void remove_tree(const std::string& path);         // rm -rf; silent when absent
std::string parent_dir(const std::string& path);   // "." for a bare name
std::string base_name(const std::string& path);    // last component, trailing '/' ignored
// Atomically puts directory `staged` at `target`, leaving the old target (if any) at `old`
// until the caller removes it. Uses renameat2(RENAME_EXCHANGE) where the file system has it.
void replace_directory(const std::string& staged, const std::string& target,
                       const std::string& old);
// Undoes a replace_directory that stopped between its two renames (the target gone, the
// previous one left at `old`): `old` goes back to `target`. Nothing to do otherwise.
void restore_interrupted_replace(const std::string& target, const std::string& old);

}  // namespace charrnn
