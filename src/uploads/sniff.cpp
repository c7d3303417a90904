// libmagic behind three plain functions. magic.h stays in this file so no header drags it in.
#include "uploads/sniff.hpp"

#include "core/text.hpp"

#include <magic.h>

#include <array>
#include <cstddef>

namespace eelchat::uploads {

namespace {

constexpr std::string_view unknown_type = "application/octet-stream";

// A magic_t is not thread-safe (it keeps the last result and error in the handle), so every thread owns
// one. The compiled database is mmapped by libmagic, so a handle per worker costs little memory.
class magic_handle {
public:
    magic_handle() {
        // Checks we skip: decompressing gzip/bzip2/xz to look inside (unbounded work on a hostile upload,
        // and it would report the inner type for a .gz, which is not what gets served), and ELF section
        // walking (we only need "application/x-executable", which the plain magic entries still give).
        // tar is kept: it is one checksum over a 512-byte header.
        const int flags = MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF;
        handle_ = magic_open(flags);
        if (handle_ == nullptr) return;
        if (magic_load(handle_, nullptr) != 0) {
            magic_close(handle_);
            handle_ = nullptr;
            return;
        }
        // Bound the work on one buffer: never read past what we pass (the caller's 64 KiB), follow at
        // most 15 indirect offsets (default 50) so a crafted file cannot make the matcher hop around,
        // and keep the regex window at its default 8 KiB.
        const std::size_t bytes_max = sniff_bytes;
        const std::size_t indir_max = 15;
        magic_setparam(handle_, MAGIC_PARAM_BYTES_MAX, &bytes_max);
        magic_setparam(handle_, MAGIC_PARAM_INDIR_MAX, &indir_max);
    }
    ~magic_handle() {
        if (handle_ != nullptr) magic_close(handle_);
    }
    magic_handle(const magic_handle&) = delete;
    magic_handle& operator=(const magic_handle&) = delete;

    magic_t get() const { return handle_; }

private:
    magic_t handle_ = nullptr;
};

magic_t thread_magic() {
    thread_local magic_handle handle;
    return handle.get();
}

// "Image/PNG; charset=binary " -> "image/png": the part before ';', trimmed, in lower case.
std::string essence(std::string_view mime) {
    if (auto semi = mime.find(';'); semi != std::string_view::npos) mime = mime.substr(0, semi);
    while (!mime.empty() && (mime.front() == ' ' || mime.front() == '\t'))
        mime.remove_prefix(1);
    while (!mime.empty() && (mime.back() == ' ' || mime.back() == '\t'))
        mime.remove_suffix(1);
    std::string out;
    out.reserve(mime.size());
    for (char c : mime)
        out += text::to_lower_ascii(c);
    return out;
}

struct label {
    std::string_view mime;
    std::string_view text;
};

// The types people share most in a team chat, named the way a file manager names them. Several types
// map to one label because libmagic has older and newer names for some (application/x-zip-compressed).
constexpr std::array labels{
    label{"image/png", "PNG image"},
    label{"image/jpeg", "JPEG image"},
    label{"image/gif", "GIF image"},
    label{"image/webp", "WebP image"},
    label{"image/svg+xml", "SVG image"},
    label{"image/bmp", "BMP image"},
    label{"image/x-ms-bmp", "BMP image"},
    label{"image/tiff", "TIFF image"},
    label{"image/heic", "HEIC image"},
    label{"image/avif", "AVIF image"},
    label{"image/vnd.microsoft.icon", "Icon"},
    label{"image/vnd.adobe.photoshop", "Photoshop image"},
    label{"application/pdf", "PDF document"},
    label{"application/zip", "ZIP archive"},
    label{"application/x-zip-compressed", "ZIP archive"},
    label{"application/gzip", "Gzip archive"},
    label{"application/x-gzip", "Gzip archive"},
    label{"application/x-tar", "Tar archive"},
    label{"application/x-bzip2", "Bzip2 archive"},
    label{"application/x-xz", "XZ archive"},
    label{"application/zstd", "Zstandard archive"},
    label{"application/x-7z-compressed", "7-Zip archive"},
    label{"application/vnd.rar", "RAR archive"},
    label{"application/x-rar", "RAR archive"},
    label{"text/plain", "Text file"},
    label{"text/html", "HTML file"},
    label{"text/xml", "XML file"},
    label{"application/xml", "XML file"},
    label{"text/csv", "CSV file"},
    label{"application/json", "JSON file"},
    label{"text/x-shellscript", "Shell script"},
    label{"text/x-python", "Python script"},
    label{"text/x-c", "C source"},
    label{"text/x-c++", "C++ source"},
    label{"text/rtf", "RTF document"},
    label{"application/msword", "Word document"},
    label{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document"},
    label{"application/vnd.ms-excel", "Excel spreadsheet"},
    label{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel spreadsheet"},
    label{"application/vnd.ms-powerpoint", "PowerPoint presentation"},
    label{"application/vnd.openxmlformats-officedocument.presentationml.presentation",
          "PowerPoint presentation"},
    label{"application/vnd.oasis.opendocument.text", "OpenDocument text"},
    label{"application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet"},
    label{"application/vnd.oasis.opendocument.presentation", "OpenDocument presentation"},
    label{"application/epub+zip", "EPUB book"},
    label{"audio/mpeg", "MP3 audio"},
    label{"audio/ogg", "Ogg audio"},
    label{"audio/x-wav", "WAV audio"},
    label{"audio/flac", "FLAC audio"},
    label{"audio/x-m4a", "M4A audio"},
    label{"video/mp4", "MP4 video"},
    label{"video/webm", "WebM video"},
    label{"video/quicktime", "QuickTime video"},
    label{"video/x-matroska", "Matroska video"},
    label{"application/x-executable", "Program"},
    label{"application/x-pie-executable", "Program"},
    label{"application/x-dosexec", "Windows program"},
    label{"application/x-sharedlib", "Shared library"},
};

} // namespace

std::string sniff_content_type(std::string_view head) {
    if (head.empty()) return std::string(unknown_type);
    if (head.size() > sniff_bytes) head = head.substr(0, sniff_bytes);
    magic_t m = thread_magic();
    if (m == nullptr) return std::string(unknown_type);
    const char* found = magic_buffer(m, head.data(), head.size());
    if (found == nullptr) return std::string(unknown_type);
    // libmagic answers in lower case without parameters for MAGIC_MIME_TYPE; essence() also guards
    // against an odd database entry spelling a type with a parameter.
    std::string type = essence(found);
    if (type.empty() || type.find('/') == std::string::npos) return std::string(unknown_type);
    return type;
}

bool is_raster_image(std::string_view mime) {
    const std::string type = essence(mime);
    return type == "image/jpeg" || type == "image/png" || type == "image/gif" || type == "image/webp";
}

std::string describe_content_type(std::string_view mime) {
    const std::string type = essence(mime);
    for (const auto& l : labels)
        if (l.mime == type) return std::string(l.text);
    const auto slash = type.find('/');
    if (slash == std::string::npos) return "File";
    const std::string_view top = std::string_view(type).substr(0, slash);
    if (top == "image") return "Image";
    if (top == "audio") return "Audio file";
    if (top == "video") return "Video";
    if (top == "text") return "Text file";
    return "File";
}

} // namespace eelchat::uploads
