#include "render/attachments.hpp"

#include "core/text.hpp"
#include "render/templates.hpp"

#include <utility>

namespace eelchat::render {

using data = kainjow::mustache::data;

std::string file_url(std::string_view href, std::string_view upload_id, std::string_view name) {
    std::string url(href);
    url.append("/files/").append(upload_id).append("/").append(text::percent_encode(name));
    return url;
}

std::string thumbnail_url(std::string_view href, std::string_view upload_id) {
    std::string url(href);
    url.append("/thumbnails/").append(upload_id);
    return url;
}

std::string kind_label(std::string_view type) {
    static constexpr std::pair<std::string_view, std::string_view> known[] = {
        {"image/png", "PNG image"},
        {"image/jpeg", "JPEG image"},
        {"image/gif", "GIF image"},
        {"image/webp", "WebP image"},
        {"image/svg+xml", "SVG image"},
        {"image/heic", "HEIC image"},
        {"image/tiff", "TIFF image"},
        {"image/bmp", "BMP image"},
        {"application/pdf", "PDF document"},
        {"application/zip", "ZIP archive"},
        {"application/gzip", "Gzip archive"},
        {"application/x-tar", "Tar archive"},
        {"application/x-7z-compressed", "7-Zip archive"},
        {"text/html", "HTML file"},
        {"text/csv", "CSV file"},
        {"application/json", "JSON file"},
        {"text/xml", "XML file"},
        {"application/xml", "XML file"},
        {"application/msword", "Word document"},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document"},
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel spreadsheet"},
        {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint file"},
        {"application/vnd.oasis.opendocument.text", "OpenDocument text"},
        {"application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet"},
        {"audio/mpeg", "MP3 audio"},
        {"video/mp4", "MP4 video"},
        {"video/webm", "WebM video"},
    };
    for (const auto& [t, label] : known)
        if (type == t) return std::string(label);
    if (type.starts_with("text/")) return "Text file";
    if (type.starts_with("image/")) return "Image";
    if (type.starts_with("audio/")) return "Audio";
    if (type.starts_with("video/")) return "Video";
    return "File";
}

std::string render_attachments(templates& tpl, const db::message_row& m, std::string_view href) {
    if (m.attachments.empty()) return {};
    data list{data::type::list};
    for (const auto& f : m.attachments) {
        data item;
        item.set("name", f.name);
        item.set("url", file_url(href, f.id, f.name));
        item.set("size", text::human_size(f.size));
        if (f.inline_image && f.has_thumbnail) {
            item.set("image", true);
            item.set("thumbnail", thumbnail_url(href, f.id));
            item.set("width", std::to_string(f.width));
            item.set("height", std::to_string(f.height));
        } else {
            item.set("label", kind_label(f.content_type));
        }
        list.push_back(item);
    }
    data d;
    d.set("files", list);
    return tpl.render("attachments", d);
}

} // namespace eelchat::render
