-- The end-to-end check of editors/nvim/test.sh, run in `nvim --headless` on a
-- broken policy: waits for `tier lsp`'s diagnostics, asks for a hover at
-- HOVER_LINE:HOVER_COL (1-based line, 0-based byte column), writes both to OUT
-- and quits.
local buf = vim.api.nvim_get_current_buf()
local lines = {}
local ok = vim.wait(20000, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)
if not ok then
  table.insert(lines, "no diagnostics within 20 s")
end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  local first = d.message:gsub("\n.*", "")
  table.insert(lines, string.format("diagnostic %d:%d %s %s", d.lnum + 1, d.col + 1, code, first))
end
local hover_line, hover_col = tonumber(os.getenv("HOVER_LINE") or ""), tonumber(os.getenv("HOVER_COL") or "")
if hover_line then
  vim.api.nvim_win_set_cursor(0, { hover_line, hover_col })
  local params = vim.lsp.util.make_position_params()
  local results = vim.lsp.buf_request_sync(buf, "textDocument/hover", params, 10000) or {}
  for _, r in pairs(results) do
    local value = r.result and r.result.contents and r.result.contents.value
    if value then
      table.insert(lines, "hover " .. value:gsub("\n", " | "))
    end
  end
end
local out = io.open(os.getenv("OUT"), "w")
out:write(table.concat(lines, "\n") .. "\n")
out:close()
vim.cmd("qa!")
