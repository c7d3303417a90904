#include "render/markdown.hpp"

#include "render/templates.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <cstdlib>
#include <memory>
#include <mutex>

namespace eelchat::render {

namespace {

struct node_deleter {
    void operator()(cmark_node* n) const noexcept { cmark_node_free(n); }
};
struct iter_deleter {
    void operator()(cmark_iter* i) const noexcept { cmark_iter_free(i); }
};
struct parser_deleter {
    void operator()(cmark_parser* p) const noexcept { cmark_parser_free(p); }
};

// cmark-gfm keeps process-wide state that parsing reads and that registering and attaching extensions
// writes (the extension registry, the table of special characters), so one lock covers a whole parse. A
// parse of a chat message takes microseconds, next to the database write it precedes.
std::mutex parse_mutex;

std::unique_ptr<cmark_parser, parser_deleter> new_parser() {
    static const bool registered = [] {
        cmark_gfm_core_extensions_ensure_registered();
        return true;
    }();
    (void)registered;
    std::unique_ptr<cmark_parser, parser_deleter> p(cmark_parser_new(CMARK_OPT_DEFAULT));
    for (const char* name : {"strikethrough", "autolink"})
        if (auto* ext = cmark_find_syntax_extension(name)) cmark_parser_attach_syntax_extension(p.get(), ext);
    return p;
}

std::string_view literal(cmark_node* n) {
    const char* s = cmark_node_get_literal(n);
    return s ? std::string_view(s) : std::string_view();
}

// Text with its line breaks kept (raw HTML blocks shown as typed).
void append_lines(std::string& out, std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    std::size_t start = 0;
    for (;;) {
        auto nl = s.find('\n', start);
        out += html_escape(s.substr(start, nl == std::string_view::npos ? nl : nl - start));
        if (nl == std::string_view::npos) break;
        out += "<br>";
        start = nl + 1;
    }
}

// Inside a tight list, paragraphs are not wrapped in <p> (as CommonMark renders them).
bool in_tight_list(cmark_node* paragraph) {
    cmark_node* item = cmark_node_parent(paragraph);
    if (!item || cmark_node_get_type(item) != CMARK_NODE_ITEM) return false;
    cmark_node* list = cmark_node_parent(item);
    return list && cmark_node_get_list_tight(list);
}

class html_writer {
public:
    explicit html_writer(std::size_t reserve) { out_.reserve(reserve); }

    void node(cmark_node* n, cmark_event_type ev) {
        const bool entering = ev == CMARK_EVENT_ENTER;
        const cmark_node_type type = cmark_node_get_type(n);
        if (std::string_view(cmark_node_get_type_string(n)) == "strikethrough") {
            out_ += entering ? "<del>" : "</del>";
            return;
        }
        switch (type) {
        case CMARK_NODE_DOCUMENT:
            break;
        case CMARK_NODE_PARAGRAPH:
            if (!in_tight_list(n)) out_ += entering ? "<p>" : "</p>";
            break;
        case CMARK_NODE_HEADING:
            out_ += entering ? "<p class=\"md-heading\"><strong>" : "</strong></p>";
            break;
        case CMARK_NODE_BLOCK_QUOTE:
            out_ += entering ? "<blockquote>" : "</blockquote>";
            break;
        case CMARK_NODE_LIST:
            if (cmark_node_get_list_type(n) == CMARK_ORDERED_LIST) {
                if (entering) {
                    const int start = cmark_node_get_list_start(n);
                    out_ += start == 1 ? "<ol>" : "<ol start=\"" + std::to_string(start) + "\">";
                } else {
                    out_ += "</ol>";
                }
            } else {
                out_ += entering ? "<ul>" : "</ul>";
            }
            break;
        case CMARK_NODE_ITEM:
            out_ += entering ? "<li>" : "</li>";
            break;
        case CMARK_NODE_CODE_BLOCK:
            out_ += "<pre><code>";
            out_ += html_escape(literal(n));
            out_ += "</code></pre>";
            break;
        case CMARK_NODE_HTML_BLOCK:
            out_ += "<p>";
            append_lines(out_, literal(n));
            out_ += "</p>";
            break;
        case CMARK_NODE_THEMATIC_BREAK:
            out_ += "<hr>";
            break;
        case CMARK_NODE_TEXT:
        case CMARK_NODE_HTML_INLINE:
            out_ += html_escape(literal(n));
            break;
        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
            out_ += "<br>";
            break;
        case CMARK_NODE_CODE:
            out_ += "<code>";
            out_ += html_escape(literal(n));
            out_ += "</code>";
            break;
        case CMARK_NODE_EMPH:
            out_ += entering ? "<em>" : "</em>";
            break;
        case CMARK_NODE_STRONG:
            out_ += entering ? "<strong>" : "</strong>";
            break;
        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE:
            link(n, entering);
            break;
        default:
            // Anything else cmark-gfm might produce: its text, if it has any, and nothing of its markup.
            if (entering) out_ += html_escape(literal(n));
            break;
        }
    }

    std::string take() { return std::move(out_); }

private:
    void link(cmark_node* n, bool entering) {
        const char* url = cmark_node_get_url(n);
        if (!url || !is_safe_link(url)) return; // the link text stays, as text
        if (entering) {
            out_ += "<a href=\"";
            out_ += html_escape(url);
            out_ += "\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">";
            // An image's link shows its description, or else its address.
            if (cmark_node_get_type(n) == CMARK_NODE_IMAGE && !cmark_node_first_child(n))
                out_ += html_escape(url);
        } else {
            out_ += "</a>";
        }
    }

    std::string out_;
};

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

} // namespace

bool is_safe_link(std::string_view url) {
    for (unsigned char c : url)
        if (c <= 0x20 || c == 0x7f) return false;
    return starts_with_nocase(url, "https://") || starts_with_nocase(url, "http://") ||
           starts_with_nocase(url, "mailto:");
}

std::string markdown_to_html(std::string_view text) {
    std::unique_lock lock(parse_mutex);
    auto parser = new_parser();
    cmark_parser_feed(parser.get(), text.data(), text.size());
    std::unique_ptr<cmark_node, node_deleter> doc(cmark_parser_finish(parser.get()));
    parser.reset();
    lock.unlock();
    if (!doc) return "<p>" + html_escape(text) + "</p>";
    html_writer w(text.size() + text.size() / 2 + 16);
    std::unique_ptr<cmark_iter, iter_deleter> it(cmark_iter_new(doc.get()));
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it.get())) != CMARK_EVENT_DONE)
        w.node(cmark_iter_get_node(it.get()), ev);
    return w.take();
}

std::string markdown_to_plain_text(std::string_view text) {
    std::unique_lock lock(parse_mutex);
    auto parser = new_parser();
    cmark_parser_feed(parser.get(), text.data(), text.size());
    std::unique_ptr<cmark_node, node_deleter> doc(cmark_parser_finish(parser.get()));
    parser.reset();
    lock.unlock();
    if (!doc) return std::string(text);
    std::unique_ptr<char, decltype(&std::free)> out(cmark_render_plaintext(doc.get(), CMARK_OPT_DEFAULT, 0),
                                                    &std::free);
    std::string plain = out ? std::string(out.get()) : std::string(text);
    while (!plain.empty() && (plain.back() == '\n' || plain.back() == ' '))
        plain.pop_back();
    return plain;
}

} // namespace eelchat::render
