// Message text as people type markdown in chat, rendered to HTML once, when the message is stored or
// edited. cmark-gfm (Debian's libcmark-gfm) parses; this file decides what each node becomes, so the
// output can only hold what is listed here: paragraphs with line breaks, bold, italic, strikethrough,
// inline code, code blocks, quotes, lists, rules, and links (typed or bare URLs) to http, https and
// mailto addresses, which open in a new tab with rel="nofollow noopener noreferrer". Raw HTML shows as
// the text it is, headings as bold lines, and images as links to the image; every other URL scheme
// (javascript:, data:, ...) leaves the link text without a link. Nothing in the output can run script.
#pragma once

#include <string>
#include <string_view>

namespace eelchat::render {

// `text` is valid UTF-8 (core/text.hpp checked it). Thread-safe.
std::string markdown_to_html(std::string_view text);

// The text without its markdown ("**bold**" becomes "bold", "@**Alice**" "@Alice"), for notifications
// and emails, where nothing is rendered. Thread-safe.
std::string markdown_to_plain_text(std::string_view text);

// Whether `url` may be a link's target: http://, https:// or mailto:, with no spaces or control
// characters anywhere (browsers drop those inside a scheme, which is how "java\tscript:" gets through).
bool is_safe_link(std::string_view url);

} // namespace eelchat::render
