;; The check of editors/emacs/test.sh, in `emacs --batch': open the policy given
;; on the command line with tier.el, connect eglot, wait for flymake's
;; diagnostics and print them as `diagnostic LINE:COLUMN TEXT' (column in
;; display columns, as Emacs counts them: `万' is two).
(require 'eglot)
(load (expand-file-name "tier.el" (file-name-directory load-file-name)))
(find-file (car command-line-args-left))
;; eglot-ensure waits for a command loop, which batch mode has none of.
(apply #'eglot (eglot--guess-contact))
(let ((deadline (+ (float-time) 20)))
  (while (and (< (float-time) deadline) (null (flymake-diagnostics)))
    (accept-process-output nil 0.1)))
(dolist (d (flymake-diagnostics))
  (princ (format "diagnostic %d:%d %s\n"
                 (line-number-at-pos (flymake-diagnostic-beg d))
                 (save-excursion (goto-char (flymake-diagnostic-beg d)) (current-column))
                 (car (split-string (flymake-diagnostic-text d) "\n")))))
(kill-emacs 0)
