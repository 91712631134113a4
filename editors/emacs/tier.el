;;; tier.el --- tierlang policies with `tier lsp' through eglot  -*- lexical-binding: t -*-
;; A minimal major mode for *.tier files and the eglot setup for `tier lsp'.
;; eglot is built in from Emacs 29; on Emacs 28 install it (Debian: elpa-eglot).
;; Load with (load "/path/to/tierlang/editors/emacs/tier.el"). TIER_BIN overrides
;; the `tier' found on PATH.

(define-derived-mode tier-mode prog-mode "Tier"
  "Major mode for tierlang policies."
  (setq-local comment-start "# ")
  (setq-local comment-start-skip "#+\\s-*"))

(add-to-list 'auto-mode-alist '("\\.tier\\'" . tier-mode))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs `(tier-mode ,(or (getenv "TIER_BIN") "tier") "lsp")))

(add-hook 'tier-mode-hook #'eglot-ensure)

(provide 'tier)
;;; tier.el ends here
