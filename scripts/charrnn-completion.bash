# charrnn-completion.bash — bash completion for charrnn (installed as
# share/bash-completion/completions/charrnn): commands, their flags, and files or directories.
_charrnn() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local commands="train generate inspect eval serve"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
    return
  fi
  case $prev in
    --corpus|--text) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --model|--resume) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --cell) COMPREPLY=($(compgen -W "lstm gru rnn" -- "$cur")); return ;;
    --dtype) COMPREPLY=($(compgen -W "auto f32 bf16" -- "$cur")); return ;;
    --preset) COMPREPLY=($(compgen -W "auto tiny small medium large none" -- "$cur")); return ;;
    --weights) COMPREPLY=($(compgen -W "best last" -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    # The flags come from the command's own --help, so they never fall out of date.
    local flags
    flags=$(charrnn "${COMP_WORDS[1]}" --help 2>/dev/null | grep -oE '^ +--[a-z0-9-]+' | tr -d ' ')
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ ${COMP_WORDS[1]} == inspect ]]; then
    COMPREPLY=($(compgen -d -- "$cur"))
  fi
}
complete -F _charrnn charrnn
