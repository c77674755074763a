// Reads one language's advice texts from the translation file's YAML, checking that every item has one.
#include "config/advice_texts.hpp"

#include <algorithm>
#include <exception>

#include "config/yaml_tree.hpp"

namespace hypnic::config_detail {

namespace {

std::string at(const YNode* n) { return "line " + std::to_string(n->line) + ": "; }

bool known_id(std::string_view id) {
    return std::find(std::begin(ADVICE_TEXT_IDS), std::end(ADVICE_TEXT_IDS), id) != std::end(ADVICE_TEXT_IDS);
}

}  // namespace

std::vector<std::string> parse_advice_texts(const std::string& yaml, std::string_view language,
                                            std::map<std::string, std::string>& out) {
    std::vector<std::string> problems;
    try {
        const YamlDocument doc = parse_yaml(yaml);
        for (const auto& p : doc.problems)
            problems.push_back("line " + std::to_string(p.line) + ": " + p.message);
        if (!problems.empty()) return problems;
        if (doc.root == nullptr || doc.root->kind != YNode::Kind::map) {
            problems.push_back("the advice texts must be a mapping of languages (en, de) to texts by item id");
            return problems;
        }
        const YNode* block = nullptr;
        for (const auto& [k, v] : doc.root->pairs)
            if (k->kind == YNode::Kind::scalar && k->value == language) block = v;
        if (block == nullptr) {
            problems.push_back("the advice texts have no block for language '" + std::string(language) + "'");
            return problems;
        }
        if (block->kind != YNode::Kind::map) {
            problems.push_back(at(block) + "the advice texts of '" + std::string(language) +
                               "' must be a mapping of item ids to texts");
            return problems;
        }
        std::map<std::string, std::string> texts;
        for (const auto& [k, v] : block->pairs) {
            const std::string id = k->kind == YNode::Kind::scalar ? k->value : std::string();
            if (!known_id(id)) {
                problems.push_back(at(k) + "'" + std::string(language) + "." + id +
                                   "' is not an advice item id (caffeine, exercise, stress, magnesium, mattress, "
                                   "consult_doctor, reassurance, routine)");
                continue;
            }
            if (texts.count(id) != 0) {
                problems.push_back(at(k) + "'" + std::string(language) + "." + id + "' is given twice");
                continue;
            }
            if (v->kind != YNode::Kind::scalar || v->value.empty()) {
                problems.push_back(at(v) + "'" + std::string(language) + "." + id + "' must be a non-empty text");
                continue;
            }
            texts[id] = v->value;
        }
        for (std::string_view id : ADVICE_TEXT_IDS)
            if (texts.count(std::string(id)) == 0)
                problems.push_back("the advice texts of '" + std::string(language) + "' have no text for '" +
                                   std::string(id) + "'");
        if (problems.empty()) out = std::move(texts);
    } catch (const std::exception& e) {
        problems.push_back(std::string("cannot read the advice texts: ") + e.what());
    }
    return problems;
}

}  // namespace hypnic::config_detail
