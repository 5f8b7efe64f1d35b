// SPDX-License-Identifier: Apache-2.0
// The main of a fuzz target in a build without libFuzzer (GCC): calls
// LLVMFuzzerTestOneInput once per file of the corpus directories given on
// the command line, each in a buffer of its exact size (so ASan sees any read
// past the end), in name order. Fails when a directory holds no file: a
// corpus that went missing must not pass as "nothing crashed".
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
    return 64;
  }
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (const auto& e : fs::directory_iterator(argv[i], ec))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(argv[i], ec)) {
      files.emplace_back(argv[i]);
    }
    if (files.empty()) {
      std::fprintf(stderr, "%s: no input in %s\n", argv[0], argv[i]);
      return 1;
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      if (!in.eof() && in.fail()) {
        std::fprintf(stderr, "%s: cannot read %s\n", argv[0], f.c_str());
        return 1;
      }
      // An exact-size copy: an empty vector's data() may be null, libFuzzer never passes null.
      const auto copy = std::make_unique<std::uint8_t[]>(std::max<std::size_t>(bytes.size(), 1));
      std::copy(bytes.begin(), bytes.end(), copy.get());
      std::fprintf(stderr, "running %s (%zu bytes)\n", f.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(copy.get(), bytes.size());
      ++total;
    }
  }
  std::fprintf(stderr, "%s: %zu inputs ran\n", argv[0], total);
  return 0;
}
