# WasmGuest.cmake - compile freestanding C guest programs to .wasm with
# clang-19 at build time.
#
#   twine_add_wasm_guest(NAME
#       SOURCES a.c [b.c ...]
#       EXPORTS f [g ...]
#       [OUTPUT_DIR dir]        # default: CMAKE_CURRENT_BINARY_DIR
#       [OUTPUT_NAME base]      # file name without .wasm; default: NAME
#       [CFLAGS flag ...]       # extra compile flags
#       [LDFLAGS flag ...]      # extra link flags (clang driver syntax)
#       [INCLUDES dir ...]
#       [EXCLUDE_FROM_ALL])
#
# Creates a custom target NAME that produces OUTPUT_DIR/OUTPUT_NAME.wasm and sets
# the target property TWINE_WASM_FILE to that path. Guests are freestanding:
# no libc (-nostdlib), no entry point, only the listed exports (plus the
# linear memory, which wasm-ld exports as "memory").
#
# Two steps on purpose: sources are compiled with -O2 -c, and the link step
# gets no -O flag: given -O at link time, clang-19 silently runs binaryen's
# wasm-opt when it is installed, which would make the output depend on what
# else happens to be on the machine.
#
# Bulk memory is enabled (-mbulk-memory) so that the memcpy/memset calls the
# compiler may synthesise become memory.copy / memory.fill instead of
# undefined imports. Floating point: -ffp-contract=off, so results are
# bit-identical to a native build with the same flag.
#
# No include_guard: the flag variables below are directory-scoped, so every
# directory that includes this file must get them (the expensive checks are
# cached and run once per build tree).

set(TWINE_WASM_CC_NAMES clang-19)
find_program(TWINE_WASM_CC NAMES ${TWINE_WASM_CC_NAMES}
             DOC "clang able to target wasm32 (clang-19)")
if(NOT TWINE_WASM_CC)
  message(FATAL_ERROR
    "twine: clang-19 not found; it is needed to compile the wasm32 guest "
    "programs (examples, benchmarks). Install it with scripts/install-deps.sh "
    "(Debian packages clang-19 lld-19), or point -DTWINE_WASM_CC=/path/to/clang-19.")
endif()

set(TWINE_WASM_CFLAGS
    --target=wasm32 -O2 -ffreestanding -nostdlib -fno-builtin
    -ffp-contract=off -mbulk-memory -Wall -Wextra)
if(TWINE_WERROR)
  list(APPEND TWINE_WASM_CFLAGS -Werror)
endif()
set(TWINE_WASM_LDFLAGS
    --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--strip-debug)

# compiler-rt builtins for wasm32, needed only for rare helpers such as
# 128-bit multiplication; linked when the package providing it is present.
# Debian keeps the archive under the wasi triple, hence --target=wasm32-wasi.
if(NOT DEFINED TWINE_WASM_BUILTINS)
  execute_process(
    COMMAND ${TWINE_WASM_CC} --target=wasm32-wasi -print-libgcc-file-name
    OUTPUT_VARIABLE _tw_builtins OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _tw_rc ERROR_QUIET)
  if(_tw_rc EQUAL 0 AND EXISTS "${_tw_builtins}")
    set(TWINE_WASM_BUILTINS "${_tw_builtins}" CACHE FILEPATH
        "compiler-rt builtins archive for wasm32" FORCE)
  else()
    set(TWINE_WASM_BUILTINS "" CACHE FILEPATH
        "compiler-rt builtins archive for wasm32" FORCE)
  endif()
endif()

# Smoke test, once per build tree: compile and link a trivial guest. This
# catches a clang without the WebAssembly backend or a missing wasm-ld at
# configure time with a clear message instead of a confusing build error.
if(NOT TWINE_WASM_CC_WORKS)
  set(_tw_dir "${CMAKE_BINARY_DIR}/CMakeFiles/twine_wasm_check")
  file(MAKE_DIRECTORY "${_tw_dir}")
  file(WRITE "${_tw_dir}/check.c"
       "int twine_check(int x) { return x * 3 + 1; }\n")
  execute_process(
    COMMAND ${TWINE_WASM_CC} ${TWINE_WASM_CFLAGS} -c check.c -o check.o
    WORKING_DIRECTORY "${_tw_dir}"
    RESULT_VARIABLE _tw_rc OUTPUT_VARIABLE _tw_out ERROR_VARIABLE _tw_out)
  if(_tw_rc EQUAL 0)
    execute_process(
      COMMAND ${TWINE_WASM_CC} ${TWINE_WASM_LDFLAGS}
              -Wl,--export=twine_check check.o -o check.wasm
      WORKING_DIRECTORY "${_tw_dir}"
      RESULT_VARIABLE _tw_rc OUTPUT_VARIABLE _tw_out ERROR_VARIABLE _tw_out)
  endif()
  if(NOT _tw_rc EQUAL 0)
    message(FATAL_ERROR
      "twine: ${TWINE_WASM_CC} cannot build a wasm32 guest (is lld-19, which "
      "provides wasm-ld, installed? run scripts/install-deps.sh):\n${_tw_out}")
  endif()
  set(TWINE_WASM_CC_WORKS ON CACHE INTERNAL "clang-19 builds wasm32 guests")
  message(STATUS "twine: wasm32 guests built with ${TWINE_WASM_CC}")
endif()

function(twine_add_wasm_guest NAME)
  cmake_parse_arguments(G "EXCLUDE_FROM_ALL" "OUTPUT_DIR;OUTPUT_NAME"
                        "SOURCES;EXPORTS;CFLAGS;LDFLAGS;INCLUDES" ${ARGN})
  if(NOT G_SOURCES)
    message(FATAL_ERROR "twine_add_wasm_guest(${NAME}): no SOURCES")
  endif()
  if(NOT G_EXPORTS)
    message(FATAL_ERROR "twine_add_wasm_guest(${NAME}): no EXPORTS")
  endif()
  if(G_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
            "twine_add_wasm_guest(${NAME}): unknown arguments ${G_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT G_OUTPUT_DIR)
    set(G_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(NOT G_OUTPUT_NAME)
    set(G_OUTPUT_NAME "${NAME}")
  endif()
  set(objdir "${CMAKE_CURRENT_BINARY_DIR}/${NAME}.wasm.d")
  set(out "${G_OUTPUT_DIR}/${G_OUTPUT_NAME}.wasm")

  set(incflags)
  foreach(dir ${G_INCLUDES})
    get_filename_component(dir "${dir}" ABSOLUTE)
    list(APPEND incflags "-I${dir}")
  endforeach()

  set(objs)
  foreach(src ${G_SOURCES})
    get_filename_component(abs "${src}" ABSOLUTE)
    get_filename_component(base "${src}" NAME_WE)
    set(obj "${objdir}/${base}.o")
    add_custom_command(
      OUTPUT "${obj}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${objdir}"
      COMMAND ${TWINE_WASM_CC} ${TWINE_WASM_CFLAGS} ${G_CFLAGS} ${incflags}
              -MD -MF "${obj}.d" -c "${abs}" -o "${obj}"
      DEPENDS "${abs}"
      DEPFILE "${obj}.d"
      COMMENT "wasm32 cc ${NAME}: ${base}.c"
      VERBATIM)
    list(APPEND objs "${obj}")
  endforeach()

  set(expflags)
  foreach(e ${G_EXPORTS})
    list(APPEND expflags "-Wl,--export=${e}")
  endforeach()
  set(builtins)
  if(TWINE_WASM_BUILTINS)
    set(builtins "${TWINE_WASM_BUILTINS}")
  endif()

  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${G_OUTPUT_DIR}"
    COMMAND ${TWINE_WASM_CC} ${TWINE_WASM_LDFLAGS} ${G_LDFLAGS} ${expflags}
            ${objs} ${builtins} -o "${out}"
    DEPENDS ${objs}
    COMMENT "wasm32 link ${G_OUTPUT_NAME}.wasm"
    VERBATIM)

  if(G_EXCLUDE_FROM_ALL)
    add_custom_target(${NAME} DEPENDS "${out}")
  else()
    add_custom_target(${NAME} ALL DEPENDS "${out}")
  endif()
  set_target_properties(${NAME} PROPERTIES TWINE_WASM_FILE "${out}")
endfunction()
