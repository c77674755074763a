// The advice texts per language: the translation file config/advice/texts.yaml, compiled in and read by the loader.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hypnic::config_detail {

/// The text of config/advice/texts.yaml as it was at build time.
extern const char* const ADVICE_TEXTS_YAML;

/// Every item id a language block must have a text for.
inline constexpr std::string_view ADVICE_TEXT_IDS[] = {"caffeine",       "exercise",    "stress",  "magnesium",
                                                       "mattress",       "consult_doctor", "reassurance", "routine"};

/// Reads the texts of `language` from a translation file's text `yaml` (a mapping language -> id -> text)
/// into `out` (id -> text). Returns every problem found, each naming the line, the key and why
/// (empty = all ids of the language have a non-empty text). Never throws.
std::vector<std::string> parse_advice_texts(const std::string& yaml, std::string_view language,
                                            std::map<std::string, std::string>& out);

}  // namespace hypnic::config_detail
