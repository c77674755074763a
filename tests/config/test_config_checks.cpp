// The value checks behind the loader: edit distance, ids, topics, times, JSON pointers, URLs, time zones.
#include <catch2/catch.hpp>

#include "config/checks.hpp"

using namespace hypnic::config_detail;

TEST_CASE("edit distance counts insertions, deletions, substitutions and swaps") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("qos", "qos") == 0);
    CHECK(edit_distance("base_topc", "base_topic") == 1);
    CHECK(edit_distance("tsl", "tls") == 1);  // a swap is one edit
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("nearest suggests plausible typos only") {
    const std::vector<std::string> keys = {"url", "base_topic", "keepalive_s", "qos", "tls"};
    CHECK(nearest("base_topc", keys) == std::optional<std::string>("base_topic"));
    CHECK(nearest("keepalive", keys) == std::optional<std::string>("keepalive_s"));
    CHECK(nearest("qso", keys) == std::optional<std::string>("qos"));
    CHECK_FALSE(nearest("password_hash", keys).has_value());
    CHECK_FALSE(nearest("x", keys).has_value());
}

TEST_CASE("sleeper ids") {
    CHECK_FALSE(check_id("alex"));
    CHECK_FALSE(check_id("bed_2-left"));
    CHECK_FALSE(check_id(std::string(32, 'a')));
    CHECK(check_id(""));
    CHECK(check_id(std::string(33, 'a')));
    CHECK(check_id("Alex"));
    CHECK(check_id("a/b"));
    CHECK(check_id("a+b"));
    CHECK(check_id("a b"));
}

TEST_CASE("topics and topic prefixes") {
    CHECK_FALSE(check_topic("bed/alex/accel"));
    CHECK(check_topic(""));
    CHECK(check_topic("bed/+/accel"));
    CHECK(check_topic("bed/#"));
    CHECK(check_topic(std::string("a\0b", 3)));
    CHECK_FALSE(check_topic("bed/#", true));
    CHECK_FALSE(check_topic_prefix("hypnic"));
    CHECK_FALSE(check_topic_prefix("home/sleep"));
    CHECK(check_topic_prefix("/hypnic"));
    CHECK(check_topic_prefix("hypnic/"));
    CHECK(check_topic_prefix("a//b"));
}

TEST_CASE("clock times") {
    int m = -1;
    CHECK_FALSE(check_clock_time("00:00", &m));
    CHECK(m == 0);
    CHECK_FALSE(check_clock_time("23:59", &m));
    CHECK(m == 23 * 60 + 59);
    for (const char* bad : {"24:00", "12:60", "7:30", "07:3", "0730", "", "ab:cd", "07:30 ", "-1:00"}) {
        INFO(bad);
        CHECK(check_clock_time(bad));
    }
}

TEST_CASE("JSON pointers") {
    CHECK_FALSE(check_json_pointer(""));
    CHECK_FALSE(check_json_pointer("/state"));
    CHECK_FALSE(check_json_pointer("/ENERGY/Power"));
    CHECK_FALSE(check_json_pointer("/a~1b/c~0d"));
    CHECK(check_json_pointer("state"));
    CHECK(check_json_pointer("/a~2"));
    CHECK(check_json_pointer("/a~"));
}

TEST_CASE("URL credentials are masked and secure schemes recognised") {
    CHECK(mask_url_credentials("tcp://u:p@host:1883") == "tcp://***@host:1883");
    CHECK(mask_url_credentials("u:p@host") == "***@host");
    CHECK(mask_url_credentials("tcp://host:1883") == "tcp://host:1883");
    CHECK(mask_url_credentials("x:secret@y://z@h") == "***@h");
    CHECK(is_secure_url("ssl://h"));
    CHECK(is_secure_url("mqtts://h"));
    CHECK(is_secure_url("wss://h/mqtt"));
    CHECK_FALSE(is_secure_url("tcp://h"));
}

TEST_CASE("time zones must exist as TZif files and stay inside the zone directory") {
    CHECK_FALSE(check_timezone(""));
    CHECK_FALSE(check_timezone("Europe/Berlin"));
    CHECK_FALSE(check_timezone("UTC"));
    CHECK(check_timezone("Europe"));  // a directory
    CHECK(check_timezone("zone.tab"));  // a file, but not a zone
    CHECK(check_timezone("Mars/Base"));
    CHECK(check_timezone("/etc/localtime"));
    CHECK(check_timezone("../zoneinfo/UTC"));
    CHECK(check_timezone("Europe/Berlin\n"));
}

TEST_CASE("environment variable names") {
    CHECK_FALSE(check_env_name("HYPNIC_MQTT_PASSWORD"));
    CHECK_FALSE(check_env_name("_x1"));
    CHECK(check_env_name(""));
    CHECK(check_env_name("1ABC"));
    CHECK(check_env_name("A-B"));
    CHECK(check_env_name("A=B"));
}
