-- The end-to-end check of editors/nvim/test.sh, run in `nvim --headless` on a
-- broken policy: waits for `tier lsp`'s diagnostics, asks for a hover at
-- HOVER_LINE:HOVER_COL (1-based line, 0-based byte column), replaces FIX_FROM
-- with FIX_TO on that line and waits for the diagnostics to clear, writes what
-- it saw to OUT and quits.
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
-- FIX_FROM -> FIX_TO on the diagnostic's line, as typing would (an incremental
-- didChange from Neovim itself): the diagnostics must clear.
local fix_from, fix_to = os.getenv("FIX_FROM"), os.getenv("FIX_TO")
if fix_from and hover_line then
  local text = vim.api.nvim_buf_get_lines(buf, hover_line - 1, hover_line, false)[1]
  local s, e = text:find(fix_from, 1, true)
  vim.api.nvim_buf_set_text(buf, hover_line - 1, s - 1, hover_line - 1, e, { fix_to })
  local cleared = vim.wait(20000, function()
    return #vim.diagnostic.get(buf) == 0
  end, 50)
  table.insert(lines, cleared and "cleared after the fix" or "still reported after the fix")
end
local out = io.open(os.getenv("OUT"), "w")
out:write(table.concat(lines, "\n") .. "\n")
out:close()
vim.cmd("qa!")
