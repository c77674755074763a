// The advice translation file: both built-in languages are complete, the loader hands them to every sleeper,
// the advice keys are range-checked, and a broken translation file is reported, never a crash.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "config/advice_texts.hpp"
#include "config/config.hpp"

using namespace hypnic;
using namespace hypnic::config_detail;

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += x + "\n";
    return s;
}

std::string errors_of(const ConfigResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

const std::string BASE = "version: 1\n"
                         "sleepers:\n"
                         "  - id: alex\n"
                         "    sensors:\n"
                         "      - {kind: accel, topic: bed/alex/accel}\n";

}  // namespace

TEST_CASE("the built-in translation file has every advice text in English and German", "[advice][texts]") {
    for (const char* language : {"en", "de"}) {
        INFO(language);
        std::map<std::string, std::string> texts;
        const auto problems = parse_advice_texts(ADVICE_TEXTS_YAML, language, texts);
        INFO(joined(problems));
        REQUIRE(problems.empty());
        CHECK(texts.size() == std::size(ADVICE_TEXT_IDS));
        for (std::string_view id : ADVICE_TEXT_IDS) {
            INFO(id);
            REQUIRE(texts.count(std::string(id)) == 1);
            // Folded YAML: one paragraph, no line breaks left inside.
            CHECK(texts.at(std::string(id)).find('\n') == std::string::npos);
            CHECK(texts.at(std::string(id)).size() > 40);
        }
    }
    std::map<std::string, std::string> en, de;
    parse_advice_texts(ADVICE_TEXTS_YAML, "en", en);
    parse_advice_texts(ADVICE_TEXTS_YAML, "de", de);
    CHECK(en.at("reassurance") != de.at("reassurance"));
    // Careful wording: supplements only after asking a doctor; the doctor hint is not a diagnosis.
    CHECK(en.at("magnesium").find("doctor") != std::string::npos);
    CHECK(en.at("consult_doctor").find("not a diagnosis") != std::string::npos);
    CHECK(de.at("consult_doctor").find("keine Diagnose") != std::string::npos);
}

TEST_CASE("the loader gives each sleeper the texts of the configured language", "[advice][texts]") {
    const ConfigResult en = load_config_text(BASE, "en.yaml");
    INFO(errors_of(en));
    REQUIRE(en.ok());
    const ConfigResult de = load_config_text("language: de\n" + BASE, "de.yaml");
    INFO(errors_of(de));
    REQUIRE(de.ok());
    const auto& en_texts = en.config.plugin.sleepers.at(0).advice.texts;
    const auto& de_texts = de.config.plugin.sleepers.at(0).advice.texts;
    REQUIRE(en_texts.size() == std::size(ADVICE_TEXT_IDS));
    REQUIRE(de_texts.size() == std::size(ADVICE_TEXT_IDS));
    CHECK(en_texts.at("routine").find("bedtime") != std::string::npos);
    CHECK(de_texts.at("routine").find("Schlafenszeit") != std::string::npos);
}

TEST_CASE("advice keys are read and range-checked", "[advice][config]") {
    const ConfigResult ok = load_config_text(BASE + "    advice: {history_nights: 14, min_nights: 10, min_each: 4, z: 1.645,"
                                                    " min_effect: 0.2, stress_level: 6, plm_nights: 4,"
                                                    " plm_window_nights: 10, mattress_share: 0.6, enabled: false}\n",
                                             "ok.yaml");
    INFO(errors_of(ok));
    REQUIRE(ok.ok());
    const AdviceParams& a = ok.config.plugin.sleepers.at(0).advice;
    CHECK(a.history_nights == 14);
    CHECK(a.min_nights == 10);
    CHECK(a.min_each == 4);
    CHECK(a.z == Approx(1.645));
    CHECK(a.min_effect == Approx(0.2));
    CHECK(a.stress_level == Approx(6));
    CHECK(a.plm_nights == 4);
    CHECK(a.plm_window_nights == 10);
    CHECK(a.mattress_share == Approx(0.6));
    CHECK_FALSE(a.enabled);

    const ConfigResult one_night = load_config_text(BASE + "    advice: {plm_nights: 1, discomfort_nights: 1}\n", "one.yaml");
    CHECK(one_night.errors.size() == 2);
    CHECK(errors_of(one_night).find("plm_nights") != std::string::npos);
    CHECK(errors_of(one_night).find("discomfort_nights") != std::string::npos);

    const ConfigResult order = load_config_text(BASE + "    advice: {history_nights: 5, min_nights: 7}\n", "order.yaml");
    REQUIRE(order.errors.size() == 1);
    CHECK(order.errors[0].message.find("min_nights") != std::string::npos);

    const ConfigResult typo = load_config_text(BASE + "    advice: {min_efect: 0.2}\n", "typo.yaml");
    REQUIRE(typo.errors.size() == 1);
    CHECK(typo.errors[0].message.find("did you mean 'min_effect'") != std::string::npos);

    const ConfigResult hostile = load_config_text(BASE + "    advice: {z: .nan, min_effect: -1, history_nights: 1e99}\n",
                                                  "hostile.yaml");
    CHECK(hostile.errors.size() == 3);
}

TEST_CASE("a broken translation file is reported with where and why", "[advice][texts]") {
    std::map<std::string, std::string> out{{"keep", "me"}};
    SECTION("not YAML at all") {
        const auto p = parse_advice_texts("en: [unclosed\n", "en", out);
        CHECK_FALSE(p.empty());
    }
    SECTION("binary junk") {
        const auto p = parse_advice_texts(std::string("en:\n  caffeine: \xff\xfe\x00x", 20), "en", out);
        CHECK_FALSE(p.empty());
    }
    SECTION("empty") {
        const auto p = parse_advice_texts("", "en", out);
        REQUIRE(p.size() == 1);
        CHECK(p[0].find("mapping of languages") != std::string::npos);
    }
    SECTION("no block for the language") {
        const auto p = parse_advice_texts("en: {caffeine: x}\n", "de", out);
        REQUIRE(p.size() == 1);
        CHECK(p[0].find("no block for language 'de'") != std::string::npos);
    }
    SECTION("a language block that is a list") {
        const auto p = parse_advice_texts("en:\n  - caffeine\n", "en", out);
        REQUIRE(p.size() == 1);
        CHECK(p[0].find("line 2") != std::string::npos);
    }
    SECTION("unknown, duplicate, empty and missing ids are all listed") {
        const auto p = parse_advice_texts("en:\n  caffeine: a\n  coffee: b\n  stress: ''\n  exercise: [x]\n", "en", out);
        const std::string all = joined(p);
        INFO(all);
        CHECK(all.find("line 3: 'en.coffee' is not an advice item id") != std::string::npos);
        CHECK(all.find("'en.stress' must be a non-empty text") != std::string::npos);
        CHECK(all.find("'en.exercise' must be a non-empty text") != std::string::npos);
        CHECK(all.find("no text for 'mattress'") != std::string::npos);
        CHECK(all.find("no text for 'routine'") != std::string::npos);
    }
    // Nothing half-read is handed out.
    CHECK(out == std::map<std::string, std::string>{{"keep", "me"}});
}
