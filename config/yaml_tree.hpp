// A guarded YAML reader for the configuration: pre-scans for hostile input, then builds a small located tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace hypnic::config_detail {

/// Largest configuration accepted, in bytes.
inline constexpr std::size_t MAX_CONFIG_BYTES = 1024 * 1024;
/// Deepest nesting (block indentation levels plus open flow brackets) accepted before yaml-cpp sees the text.
inline constexpr int MAX_NESTING_DEPTH = 64;
/// Most nodes a document may stand for once every alias is expanded (guards against alias bombs).
/// A 1 MiB text holds at most about 524 000 nodes written out ("a," each), so only aliases reach this.
inline constexpr std::uint64_t MAX_EXPANDED_NODES = 1000000;

/// A problem found while reading the YAML itself; line and column are 1-based, 0 when unknown.
struct YamlProblem {
    int line = 0;
    int column = 0;
    std::string message;
};

/// One node of the document. Aliases are not copied: a sequence item or map value that was an alias
/// points at the anchored node, so memory stays linear in the size of the text.
struct YNode {
    enum class Kind { null, scalar, sequence, map };
    Kind kind = Kind::null;
    std::string value;    ///< scalar text
    bool quoted = false;  ///< the scalar was written in quotes or as a block scalar (so it is a string)
    int line = 0;         ///< 1-based
    int column = 0;       ///< 1-based
    std::vector<const YNode*> items;                           ///< sequence
    std::vector<std::pair<const YNode*, const YNode*>> pairs;  ///< map, in document order (duplicates kept)
    std::uint64_t expanded = 1;  ///< nodes this one stands for with aliases expanded (saturating)
    bool complete = false;       ///< false while the parser is still inside it
};

/// The parsed document; `root` is null when the text was empty or could not be read.
struct YamlDocument {
    std::deque<YNode> nodes;  ///< owns every node; deque keeps addresses stable
    const YNode* root = nullptr;
    std::vector<YamlProblem> problems;
};

/// Cheap checks run before yaml-cpp: size, NUL bytes and invalid UTF-8 (binary junk), tabs used for
/// indentation, and the nesting depth. Returns every problem found (empty = safe to parse).
std::vector<YamlProblem> prescan_yaml(const std::string& text);

/// Pre-scans, then parses exactly one YAML document into a tree. Never throws.
YamlDocument parse_yaml(const std::string& text);

}  // namespace hypnic::config_detail
