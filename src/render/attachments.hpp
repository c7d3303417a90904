// The files of a message as its page shows them: images we decoded as their thumbnail inside a link to
// the file, every other file as a link with its name, kind and size. Links live under the channel's
// address, where the channel's access rules guard them.
#pragma once

#include "db/message_store.hpp"

#include <string>
#include <string_view>

namespace eelchat::render {

class templates;

// Empty for a message without files.
std::string render_attachments(templates& tpl, const db::message_row& m, std::string_view href);

// The address of an upload's file (`href`: its channel's), ending in its name so that a saved file and a
// browser's address bar show it; and of its thumbnail.
std::string file_url(std::string_view href, std::string_view upload_id, std::string_view name);
std::string thumbnail_url(std::string_view href, std::string_view upload_id);

// What a file is, for people: "PNG image", "PDF document", ... "File" when the type says nothing known.
std::string kind_label(std::string_view content_type);

} // namespace eelchat::render
