// Rendering the report document as Markdown (GitHub flavour: pipe tables, fenced code) and as
// one HTML page with a little inline CSS.
#include <sstream>

#include "uniad/report_document.h"

namespace uniad {

void ReportDocument::heading(const std::string& text, int level) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Heading;
  b.text = text;
  b.level = level;
  blocks.push_back(std::move(b));
}

void ReportDocument::paragraph(const std::string& text) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Paragraph;
  b.text = text;
  blocks.push_back(std::move(b));
}

void ReportDocument::bullets(std::vector<std::string> items) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Bullets;
  b.items = std::move(items);
  blocks.push_back(std::move(b));
}

void ReportDocument::table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows,
                           bool bold_last_row) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Table;
  b.header = std::move(header);
  b.rows = std::move(rows);
  b.bold_last_row = bold_last_row;
  blocks.push_back(std::move(b));
}

void ReportDocument::images(std::vector<std::string> paths, std::vector<std::string> captions) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Images;
  b.items = std::move(paths);
  b.captions = std::move(captions);
  b.captions.resize(b.items.size());
  blocks.push_back(std::move(b));
}

void ReportDocument::code(const std::string& caption, const std::string& text) {
  ReportBlock b;
  b.kind = ReportBlock::Kind::Code;
  b.header = {caption};
  b.text = text;
  blocks.push_back(std::move(b));
}

namespace {

std::string markdown_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A fence longer than any backtick run in the text, so that the code cannot close it.
std::string fence_for(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

const char* kCss = R"(body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}tr.mean td{font-weight:bold}
figure{display:inline-block;margin:0.5em;vertical-align:top}figure img{max-width:100%;border:1px solid #ddd}
.plots figure img{width:560px}.heatmaps figure img{width:360px}figcaption{font-size:0.85em;color:#555}
pre{background:#f7f7f7;padding:0.8em;overflow-x:auto}code{font-size:0.9em})";

}  // namespace

std::string render_markdown(const ReportDocument& doc) {
  std::ostringstream os;
  os << "# " << doc.title << "\n";
  for (const ReportBlock& b : doc.blocks) {
    os << '\n';
    switch (b.kind) {
      case ReportBlock::Kind::Heading: os << std::string(b.level, '#') << ' ' << b.text << '\n'; break;
      case ReportBlock::Kind::Paragraph: os << b.text << '\n'; break;
      case ReportBlock::Kind::Bullets:
        for (const std::string& item : b.items) os << "- " << item << '\n';
        break;
      case ReportBlock::Kind::Table: {
        os << '|';
        for (const std::string& h : b.header) os << ' ' << markdown_cell(h) << " |";
        os << "\n|";
        for (size_t c = 0; c < b.header.size(); ++c) os << (c == 0 ? "---|" : "---:|");
        os << '\n';
        for (size_t r = 0; r < b.rows.size(); ++r) {
          const bool bold = b.bold_last_row && r + 1 == b.rows.size();
          os << '|';
          for (const std::string& cell : b.rows[r])
            os << ' ' << (bold ? "**" + markdown_cell(cell) + "**" : markdown_cell(cell)) << " |";
          os << '\n';
        }
        break;
      }
      case ReportBlock::Kind::Images:
        for (size_t i = 0; i < b.items.size(); ++i) os << "![" << b.captions[i] << "](" << b.items[i] << ")\n";
        break;
      case ReportBlock::Kind::Code: {
        const std::string fence = fence_for(b.text);
        os << b.header[0] << ":\n\n" << fence << '\n' << b.text << (b.text.ends_with('\n') ? "" : "\n") << fence << '\n';
        break;
      }
    }
  }
  return os.str();
}

std::string render_html(const ReportDocument& doc) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(doc.title)
     << "</title>\n<style>\n" << kCss << "\n</style>\n</head>\n<body>\n<h1>" << html_escape(doc.title) << "</h1>\n";
  for (const ReportBlock& b : doc.blocks) {
    switch (b.kind) {
      case ReportBlock::Kind::Heading:
        os << "<h" << b.level << '>' << html_escape(b.text) << "</h" << b.level << ">\n";
        break;
      case ReportBlock::Kind::Paragraph: os << "<p>" << html_escape(b.text) << "</p>\n"; break;
      case ReportBlock::Kind::Bullets:
        os << "<ul>\n";
        for (const std::string& item : b.items) os << "<li>" << html_escape(item) << "</li>\n";
        os << "</ul>\n";
        break;
      case ReportBlock::Kind::Table:
        os << "<table>\n<tr>";
        for (const std::string& h : b.header) os << "<th>" << html_escape(h) << "</th>";
        os << "</tr>\n";
        for (size_t r = 0; r < b.rows.size(); ++r) {
          os << (b.bold_last_row && r + 1 == b.rows.size() ? "<tr class=\"mean\">" : "<tr>");
          for (size_t c = 0; c < b.rows[r].size(); ++c)
            os << (c == 0 ? "<td>" : "<td class=\"num\">") << html_escape(b.rows[r][c]) << "</td>";
          os << "</tr>\n";
        }
        os << "</table>\n";
        break;
      case ReportBlock::Kind::Images: {
        // Heat-map composites are smaller than plots: the caller captions them by file name.
        const bool plots = !b.items.empty() && b.items[0].find('/') == std::string::npos;
        os << "<div class=\"" << (plots ? "plots" : "heatmaps") << "\">\n";
        for (size_t i = 0; i < b.items.size(); ++i)
          os << "<figure><a href=\"" << html_escape(b.items[i]) << "\"><img src=\"" << html_escape(b.items[i])
             << "\" alt=\"" << html_escape(b.captions[i]) << "\"></a><figcaption>" << html_escape(b.captions[i])
             << "</figcaption></figure>\n";
        os << "</div>\n";
        break;
      }
      case ReportBlock::Kind::Code:
        os << "<details>\n<summary>" << html_escape(b.header[0]) << "</summary>\n<pre><code>" << html_escape(b.text)
           << "</code></pre>\n</details>\n";
        break;
    }
  }
  os << "</body>\n</html>\n";
  return os.str();
}

}  // namespace uniad
