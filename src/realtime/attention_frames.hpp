// The frames of the attention stream (realtime/streams.hpp), JSON text messages that
// public/js/attention.js applies. Each is built once and shared by every stream it goes to:
//   {"t":"m","c":channel,"i":[[seq, author membership or "", [mentioned membership ids], @channel, reply]]}
//       new messages in a channel (for unread counts and mention marks)
//   {"t":"r","c":channel,"s":read seq,"l":last seq,"n":unread,"m":mentions}   the member's marker moved
//   {"t":"u","c":[[channel, last seq, read seq, unread, mentions], ...]}       all counts, on connect
//   {"t":"t","c":channel,"u":membership,"n":name}                              someone is typing
//   {"t":"p","u":user,"on":true|false}                                         someone came or went
//   {"t":"o","u":[user, ...]}                                                  who is here, on connect
#pragma once

#include "db/attention_store.hpp"
#include "db/channel_history.hpp"
#include "net/ws_frame.hpp"

#include <optional>
#include <string>
#include <vector>

namespace eelchat::realtime {

// nullopt when the events hold no new message.
std::optional<net::ws_frame> new_messages_frame(const std::string& channel_id,
                                                const std::vector<db::event_row>& events);
net::ws_frame read_frame(const db::unread_row& counts);
net::ws_frame counts_frame(const std::vector<db::unread_row>& counts);
net::ws_frame typing_frame(const std::string& channel_id, const std::string& membership_id,
                           const std::string& name);
net::ws_frame presence_frame(const std::string& user_id, bool online);
net::ws_frame online_frame(const std::vector<std::string>& user_ids);

// What a page says on its stream: "read" (channel, seq), "typing" (channel), "visible" (bool).
struct stream_request {
    enum class kind { unknown, read, typing, visible } what = kind::unknown;
    std::string channel_id;
    std::int64_t seq = 0;
    bool visible = false;
};
// Unknown or malformed input (not JSON, a channel that is not a UUID, ...) reads as kind::unknown.
stream_request parse_stream_request(std::string_view text);

} // namespace eelchat::realtime
