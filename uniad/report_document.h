#pragma once
// The run report as a list of blocks, written once and rendered twice: as Markdown and as a
// self-contained HTML page (images linked by relative paths). Texts are plain: the renderers
// escape them.
#include <string>
#include <vector>

namespace uniad {

struct ReportBlock {
  enum class Kind { Heading, Paragraph, Bullets, Table, Images, Code };
  Kind kind = Kind::Paragraph;
  int level = 2;                                // Heading: 1 for the title, 2 sections, 3 sub-sections
  std::string text;                             // Heading, Paragraph, Code (the code), Table/Code caption
  std::vector<std::string> items;               // Bullets; Images: paths relative to the report
  std::vector<std::string> captions;            // Images: one per path
  std::vector<std::string> header;              // Table
  std::vector<std::vector<std::string>> rows;   // Table: cells, first column left-aligned, others right
  bool bold_last_row = false;                   // Table: the mean row
};

struct ReportDocument {
  std::string title;
  std::vector<ReportBlock> blocks;

  void heading(const std::string& text, int level = 2);
  void paragraph(const std::string& text);
  void bullets(std::vector<std::string> items);
  void table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows, bool bold_last_row);
  void images(std::vector<std::string> paths, std::vector<std::string> captions);
  void code(const std::string& caption, const std::string& text);  // HTML: collapsed <details>
};

std::string render_markdown(const ReportDocument& doc);
std::string render_html(const ReportDocument& doc);

}  // namespace uniad
