-- tierlang for Neovim: `*.tier` files get the `tier` filetype and `tier lsp`.
-- Works from Neovim 0.7 (Debian bookworm: vim.lsp.start_client) to current
-- releases (vim.lsp.start). Load it from init.lua (`dofile(".../tier.lua")`) or
-- start Neovim with `nvim -u editors/nvim/tier.lua`. TIER_BIN overrides the
-- `tier` found on PATH.
vim.cmd([[autocmd BufRead,BufNewFile *.tier setfiletype tier]])
vim.cmd([[autocmd FileType tier setlocal commentstring=#\ %s]])

local cmd = { os.getenv("TIER_BIN") or "tier", "lsp" }

vim.api.nvim_create_autocmd("FileType", {
  pattern = "tier",
  callback = function(args)
    local buf = args.buf or vim.api.nvim_get_current_buf()
    local root = vim.fn.getcwd()
    if vim.lsp.start then
      vim.lsp.start({ name = "tier", cmd = cmd, root_dir = root }, { bufnr = buf })
    else
      local id = vim.lsp.start_client({ name = "tier", cmd = cmd, root_dir = root })
      vim.lsp.buf_attach_client(buf, id)
    end
  end,
})
