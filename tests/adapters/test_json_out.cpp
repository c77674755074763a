// Tests of the deterministic JSON writer: escaping, number forms, nesting, UTF-8 handling.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "adapters/json_out.hpp"

using namespace hypnic;

TEST_CASE("numbers are rounded then printed in shortest form", "[json_out]") {
    CHECK(format_json_number(0.0831, 3) == "0.083");
    CHECK(format_json_number(0.0835, 4) == "0.0835");
    CHECK(format_json_number(2.0, 3) == "2");
    CHECK(format_json_number(14.46, 1) == "14.5");
    CHECK(format_json_number(-0.0004, 3) == "0");
    CHECK(format_json_number(-1.25, 1) == "-1.3");  // std::round: half away from zero
    CHECK(format_json_number(1764104523.25, 6) == "1764104523.25");
    CHECK(format_json_number(1e20, 2) == "1e+20");
    CHECK(format_json_number(0.1 + 0.2, 2) == "0.3");
    CHECK(format_json_number(std::numeric_limits<double>::quiet_NaN(), 2) == "null");
    CHECK(format_json_number(std::numeric_limits<double>::infinity(), 2) == "null");
    CHECK(format_json_number(123.456, 0) == "123");
    // Boost.JSON would print 8.3E-2; ours must read back to the same double.
    CHECK(boost::json::parse(format_json_number(0.083, 4)).as_double() == 0.083);
}

TEST_CASE("strings are escaped so any input gives valid JSON", "[json_out]") {
    std::string out;
    append_json_string(out, std::string("a\"b\\c\n\t\x01\x1f/\x7f", 11));
    CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\x7f\"");
    out.clear();
    append_json_string(out, "caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\xb4");
    CHECK(out == "\"caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\xb4\"");
    out.clear();
    // Invalid UTF-8 (a lone continuation byte, a truncated sequence, an overlong '/', a surrogate).
    append_json_string(out, std::string("x\x80y\xe2\x98z\xc0\xafw\xed\xa0\x80", 13));
    CHECK(is_valid_utf8(out));
    CHECK_NOTHROW(boost::json::parse(out));
    CHECK(out.find("\xef\xbf\xbd") != std::string::npos);
    out.clear();
    append_json_string(out, std::string("\0", 1));
    CHECK(out == "\"\\u0000\"");
}

TEST_CASE("utf-8 validation follows RFC 3629", "[json_out]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));        // U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xc1\xbf"));          // overlong
    CHECK_FALSE(is_valid_utf8("\xed\xb0\x80"));      // surrogate
    CHECK_FALSE(is_valid_utf8("\xe2\x98"));          // truncated
    CHECK_FALSE(is_valid_utf8("\xff"));
}

TEST_CASE("the writer nests objects and arrays with commas in the right places", "[json_out]") {
    JsonWriter w;
    w.begin_object();
    w.key("a").value(1);
    w.key("b").begin_array().value(true).null().number(0.5, 2).value("s").begin_object().end_object().end_array();
    w.key("c").begin_object().key("d").value(std::int64_t{-7}).key("e").value(std::uint64_t{18446744073709551615ull}).end_object();
    w.key("f").raw("[1,2]");
    w.end_object();
    CHECK(w.str() == R"({"a":1,"b":[true,null,0.5,"s",{}],"c":{"d":-7,"e":18446744073709551615},"f":[1,2]})");
    CHECK_NOTHROW(boost::json::parse(w.str()));
    JsonWriter empty;
    empty.begin_array().end_array();
    CHECK(empty.take() == "[]");
}
