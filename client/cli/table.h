#ifndef JKOFLOW_CLIENT_CLI_TABLE_H_
#define JKOFLOW_CLIENT_CLI_TABLE_H_

#include <string>
#include <vector>

namespace jkoflow {

// FormatTable() lays `rows` (the first one being the header) out in
// left-aligned columns two spaces apart, one line per row, without trailing
// spaces. Short rows are padded with empty cells.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_TABLE_H_
