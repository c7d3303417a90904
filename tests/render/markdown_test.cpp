// Markdown as chat people type it, and a corpus of hostile inputs that must render inert: no element or
// attribute beyond the renderer's own list, no URL scheme but http, https and mailto, nothing that runs.
#include "render/markdown.hpp"

#include <catch2/catch.hpp>

#include <regex>

using eelchat::render::is_safe_link;
using eelchat::render::markdown_to_html;

namespace {

// Every tag in `html` is one the renderer writes, with only the attributes it writes.
bool only_known_markup(const std::string& html) {
    static const std::regex tag(R"(<(/?)([a-zA-Z0-9]+)([^>]*)>)");
    static const std::regex allowed_names("^(p|br|strong|em|del|code|pre|blockquote|ul|ol|li|hr|a)$");
    static const std::regex allowed_attrs(
        R"(^(| href="(https?://|mailto:)[^"<>\s]*" rel="nofollow noopener noreferrer" target="_blank"| start="\d+"| class="md-heading")$)",
        std::regex::icase);
    for (std::sregex_iterator it(html.begin(), html.end(), tag), end; it != end; ++it) {
        const std::string name = (*it)[2], attrs = (*it)[3];
        if (!std::regex_match(name, allowed_names)) return false;
        if (!std::regex_match(attrs, allowed_attrs)) return false;
    }
    // No stray angle bracket that is not one of those tags.
    std::string stripped = std::regex_replace(html, tag, "");
    return stripped.find('<') == std::string::npos && stripped.find('>') == std::string::npos;
}

} // namespace

TEST_CASE("markdown: what people type in chat", "[unit][markdown]") {
    CHECK(markdown_to_html("hello") == "<p>hello</p>");
    CHECK(markdown_to_html("**bold** _italic_ *also* ~~gone~~ `code`") ==
          "<p><strong>bold</strong> <em>italic</em> <em>also</em> <del>gone</del> <code>code</code></p>");
    // One newline is a line break, as in every chat.
    CHECK(markdown_to_html("first\nsecond") == "<p>first<br>second</p>");
    CHECK(markdown_to_html("> quoted\n\nafter") == "<blockquote><p>quoted</p></blockquote><p>after</p>");
    CHECK(markdown_to_html("- one\n- two") == "<ul><li>one</li><li>two</li></ul>");
    CHECK(markdown_to_html("3. three\n4. four") == "<ol start=\"3\"><li>three</li><li>four</li></ol>");
    CHECK(markdown_to_html("```\nint x = 1 < 2;\n```") == "<pre><code>int x = 1 &lt; 2;\n</code></pre>");
    CHECK(markdown_to_html("# Big") == "<p class=\"md-heading\"><strong>Big</strong></p>");
    CHECK(markdown_to_html("[docs](https://example.org/a?b=1&c=2)") ==
          "<p><a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\" "
          "target=\"_blank\">docs</a></p>");
    // Bare URLs become links too.
    CHECK(
        markdown_to_html("see https://eelchat.example/x and www.example.com") ==
        "<p>see <a href=\"https://eelchat.example/x\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">"
        "https://eelchat.example/x</a> and <a href=\"http://www.example.com\" rel=\"nofollow noopener "
        "noreferrer\" target=\"_blank\">www.example.com</a></p>");
    CHECK(markdown_to_html("2 < 3 & 4 > 1") == "<p>2 &lt; 3 &amp; 4 &gt; 1</p>");
}

TEST_CASE("markdown: hostile input renders inert", "[unit][markdown][security]") {
    const char* corpus[] = {
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<b onmouseover=\"alert(1)\">hover</b>",
        "<div hx-get=\"/app\" hx-trigger=\"load\">htmx</div>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](%6Aavascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](file:///etc/passwd)",
        "[click](//evil.example/x)",
        "[click](\"onmouseover=alert(1))",
        "[x](https://a.example/\"onmouseover=\"alert(1))",
        "[x](<https://a.example/\" onclick=\"alert(1)>)",
        "![img](https://evil.example/track.png)",
        "![img](javascript:alert(1))",
        "<javascript:alert(1)>",
        "<https://ok.example/\"><script>alert(1)</script>>",
        "`<script>` and ```\n<script>alert(1)</script>\n```",
        "<!-- comment --> <?php echo 1; ?> <![CDATA[x]]>",
        "<style>body{display:none}</style>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<svg><script>alert(1)</script></svg>",
        "[a]: javascript:alert(1)\n\n[link][a]",
        "<form action=/auth/signout method=post><button>x</button></form>",
        "\"'><img src=x onerror=alert(1)>",
        "**<u>under</u>** _<i onclick=x>i</i>_",
        "> <script>alert(1)</script>\n- <img src=x>",
        "[text](https://ok.example/ \"title\" onclick=\"x\")",
        "www.example.com/\"><script>alert(1)</script>",
        "<a href=\"https://ok.example\" onclick=\"alert(1)\">ok</a>",
        "[x](mailto:a@example.org?subject=\"><script>)",
    };
    for (const char* input : corpus) {
        const std::string html = markdown_to_html(input);
        INFO("input: " << input << "\noutput: " << html);
        CHECK(only_known_markup(html));
        CHECK(html.find("<img") == std::string::npos);
        CHECK(html.find("<script") == std::string::npos);
    }
    // Raw HTML shows as the text it is.
    CHECK(markdown_to_html("<b>x</b>") == "<p>&lt;b&gt;x&lt;/b&gt;</p>");
    // An image is a link to the image, not an image.
    CHECK(markdown_to_html("![cat](https://example.org/cat.png)") ==
          "<p><a href=\"https://example.org/cat.png\" rel=\"nofollow noopener noreferrer\" "
          "target=\"_blank\">cat</a></p>");
    // A link to an unsafe scheme keeps its text and loses the link.
    CHECK(markdown_to_html("[click](javascript:alert(1))") == "<p>click</p>");
}

TEST_CASE("markdown: which link targets are allowed", "[unit][markdown][security]") {
    CHECK(is_safe_link("https://example.org"));
    CHECK(is_safe_link("HTTP://example.org/x"));
    CHECK(is_safe_link("mailto:someone@example.org"));
    CHECK_FALSE(is_safe_link("javascript:alert(1)"));
    CHECK_FALSE(is_safe_link(" https://example.org"));
    CHECK_FALSE(is_safe_link("https://exa mple.org"));
    CHECK_FALSE(is_safe_link("java\nscript:x"));
    CHECK_FALSE(is_safe_link("/relative"));
    CHECK_FALSE(is_safe_link("//host/x"));
    CHECK_FALSE(is_safe_link("ftp://example.org"));
    CHECK_FALSE(is_safe_link(""));
}

TEST_CASE("markdown: deep nesting and long input stay linear and well formed", "[unit][markdown]") {
    const std::string quotes(4000, '>');
    CHECK(only_known_markup(markdown_to_html(quotes)));
    std::string stars;
    for (int i = 0; i < 1000; ++i)
        stars += "*a**";
    CHECK(only_known_markup(markdown_to_html(stars)));
    std::string brackets(2000, '[');
    brackets += std::string(2000, ']');
    CHECK(only_known_markup(markdown_to_html(brackets)));
}
