#include "mail/unread_digest.hpp"

#include "db/pool.hpp"
#include "render/markdown.hpp"

namespace eelchat::mail {

namespace asio = boost::asio;

namespace {

// At most `max` bytes of `s`, cut at a UTF-8 character boundary, on one line.
std::string one_line(std::string_view s, std::size_t max) {
    std::string out;
    for (char c : s)
        out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    if (out.size() <= max) return out;
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
        --cut;
    out.resize(cut);
    return out + "...";
}

std::string where(const db::email_item& item) {
    return item.channel_kind == "direct" ? "a direct message" : "#" + item.channel_title;
}

} // namespace

message digest_message(const db::claimed_email& e, const std::string& base_url) {
    message m;
    m.to = e.email;
    if (e.items.size() == 1)
        m.subject =
            one_line(e.items.front().author_name + " in " + where(e.items.front()) + " on eelchat", 150);
    else
        m.subject = std::to_string(e.items.size()) + " unread messages for you on eelchat";
    m.text = "You have not read these yet:\n\n";
    for (const auto& item : e.items) {
        m.text += item.author_name + " in " + where(item) + ":\n  " +
                  one_line(render::markdown_to_plain_text(item.text), 300) + "\n  " + base_url +
                  "/community/" + item.community_id + "/channel/" + item.channel_id +
                  "?at=" + item.message_id + "\n\n";
    }
    m.text +=
        "You get this email because these messages mention you or were sent to you while you were away.\n"
        "Choose what you are told about with \"Notify me\" at the top of each channel.\n";
    return m;
}

asio::awaitable<void> send_due_digests(db::pool& db, mailer& m, const digest_options& opts, logger log) {
    auto due = co_await db::claim_due_emails(db, std::chrono::duration_cast<std::chrono::seconds>(opts.after),
                                             opts.max_people, opts.max_items, opts.lease);
    if (!due) {
        log.warn("digest_claim_failed", {{"error", due.error().message()}});
        co_return;
    }
    for (auto& e : *due) {
        if (!e.items.empty()) {
            auto msg = digest_message(e, opts.base_url);
            auto ec = co_await m.send(msg);
            if (ec) {
                log.warn("digest_send_failed", {{"user", e.user_id}, {"error", ec.message()}});
                continue; // the claim runs out; a later pass tries again
            }
            log.info("digest_sent", {{"user", e.user_id}, {"messages", e.items.size()}});
        }
        auto done = co_await db::finish_emails(db, std::move(e.ids));
        if (!done) log.warn("digest_finish_failed", {{"user", e.user_id}, {"error", done.error().message()}});
    }
}

} // namespace eelchat::mail
