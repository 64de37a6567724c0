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

# The link step shared by both kinds of guests: runs the command given
# after the fixed arguments with "-o OUT", and makes target NAME (in ALL
# unless EXCLUDE) whose TWINE_WASM_FILE property is OUT.
function(_twine_guest_link NAME out objs exclude comment)
  get_filename_component(dir "${out}" DIRECTORY)
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${dir}"
    COMMAND ${ARGN} -o "${out}"
    DEPENDS ${objs}
    COMMENT "${comment}"
    VERBATIM)
  if(exclude)
    add_custom_target(${NAME} DEPENDS "${out}")
  else()
    add_custom_target(${NAME} ALL DEPENDS "${out}")
  endif()
  set_target_properties(${NAME} PROPERTIES TWINE_WASM_FILE "${out}")
endfunction()

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

  _twine_guest_link(${NAME} "${out}" "${objs}" "${G_EXCLUDE_FROM_ALL}"
    "wasm32 link ${G_OUTPUT_NAME}.wasm"
    ${TWINE_WASM_CC} ${TWINE_WASM_LDFLAGS} ${G_LDFLAGS} ${expflags}
    ${objs} ${builtins})
endfunction()

# ---------------------------------------------------------------------------
# WASI guests: C programs for wasm32-wasi (wasi_snapshot_preview1), with
# Debian's wasi-libc (package wasi-libc) and compiler-rt builtins
# (libclang-rt-19-dev-wasm32).
#
#   twine_add_wasi_guest(NAME
#       SOURCES a.c [b.c ...]
#       [OUTPUT_DIR dir]        # default: CMAKE_CURRENT_BINARY_DIR
#       [OUTPUT_NAME base]      # file name without .wasm; default: NAME
#       [DEFINES D[=V] ...]     # -D for every source
#       [INCLUDES dir ...]
#       [CFLAGS flag ...]       # extra compile flags
#       [LIBS lib ...]          # -l<lib> at link time (e.g. m)
#       [EMULATE what ...]      # wasi-libc emulations: process-clocks, mman,
#                               # getpid, signal (adds the matching
#                               # -D_WASI_EMULATED_<WHAT> and
#                               # -lwasi-emulated-<what>)
#       [LDFLAGS flag ...]      # extra link flags (clang driver syntax)
#       [DEPENDS file ...]      # extra files the objects depend on
#       [EXCLUDE_FROM_ALL])
#
# Produces OUTPUT_DIR/OUTPUT_NAME.wasm, a WASI command (exports _start and
# memory), and sets the target property TWINE_WASM_FILE. The exact command
# lines (SYSROOT below is ${CMAKE_BINARY_DIR}/wasi-sysroot):
#
#   clang-19 --target=wasm32-wasi --sysroot=SYSROOT -O2 -ffp-contract=off
#            -Wall -Wextra [-Werror] [-D...] -c x.c -o x.o
#   clang-19 --target=wasm32-wasi --sysroot=SYSROOT -Wl,--strip-debug
#            x.o ... [-l...] -o x.wasm
#
# The link step has no -O on purpose (see the top of this file: with -O,
# clang-19 runs binaryen's wasm-opt when installed). --strip-debug drops
# DWARF but keeps the name section, so traps name functions. wasi-libc
# hides some POSIX functions behind opt-in emulations, hence EMULATE:
# clock() and times() need process-clocks, mmap/munmap need mman, getpid
# needs getpid, signal()/raise() need signal.
#
# The sysroot: Debian installs wasi-libc as /usr/include/wasm32-wasi and
# /usr/lib/wasm32-wasi, not in the layout clang expects for --sysroot
# (DIR/include and DIR/lib/wasm32-wasi), so the build tree gets a small
# folder of two symbolic links. -DTWINE_WASI_SYSROOT=DIR uses a ready
# sysroot instead (e.g. wasi-sdk's share/wasi-sysroot).

set(TWINE_WASI_SYSROOT "" CACHE PATH
    "wasm32-wasi sysroot (empty: built from Debian's wasi-libc in the build tree)")

# Sets TWINE_WASI_SYSROOT_DIR, TWINE_WASI_CFLAGS and TWINE_WASI_LDFLAGS in the
# caller's scope and checks, once per build tree, that a WASI hello world
# compiles and links.
macro(_twine_wasi_setup)
  if(TWINE_WASI_SYSROOT)
    set(TWINE_WASI_SYSROOT_DIR "${TWINE_WASI_SYSROOT}")
  else()
    set(TWINE_WASI_SYSROOT_DIR "${CMAKE_BINARY_DIR}/wasi-sysroot")
    if(NOT EXISTS "/usr/lib/wasm32-wasi/libc.a"
       OR NOT EXISTS "/usr/include/wasm32-wasi/stdio.h")
      message(FATAL_ERROR
        "twine: Debian's wasi-libc is not installed (/usr/lib/wasm32-wasi/libc.a); "
        "it is needed for the WASI guest programs. Run scripts/install-deps.sh "
        "(packages wasi-libc libclang-rt-19-dev-wasm32) or set "
        "-DTWINE_WASI_SYSROOT=/path/to/wasi-sysroot.")
    endif()
    if(NOT EXISTS "${TWINE_WASI_SYSROOT_DIR}/lib/wasm32-wasi/libc.a")
      file(MAKE_DIRECTORY "${TWINE_WASI_SYSROOT_DIR}/lib")
      file(CREATE_LINK /usr/include/wasm32-wasi
           "${TWINE_WASI_SYSROOT_DIR}/include" SYMBOLIC)
      file(CREATE_LINK /usr/lib/wasm32-wasi
           "${TWINE_WASI_SYSROOT_DIR}/lib/wasm32-wasi" SYMBOLIC)
    endif()
  endif()
  set(TWINE_WASI_CFLAGS
      --target=wasm32-wasi --sysroot=${TWINE_WASI_SYSROOT_DIR}
      -O2 -ffp-contract=off -Wall -Wextra)
  if(TWINE_WERROR)
    list(APPEND TWINE_WASI_CFLAGS -Werror)
  endif()
  set(TWINE_WASI_LDFLAGS
      --target=wasm32-wasi --sysroot=${TWINE_WASI_SYSROOT_DIR} -Wl,--strip-debug)

  if(NOT TWINE_WASI_CC_WORKS)
    set(_tw_dir "${CMAKE_BINARY_DIR}/CMakeFiles/twine_wasi_check")
    file(MAKE_DIRECTORY "${_tw_dir}")
    file(WRITE "${_tw_dir}/check.c"
         "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n")
    execute_process(
      COMMAND ${TWINE_WASM_CC} ${TWINE_WASI_CFLAGS} -c check.c -o check.o
      WORKING_DIRECTORY "${_tw_dir}"
      RESULT_VARIABLE _tw_rc OUTPUT_VARIABLE _tw_out ERROR_VARIABLE _tw_out)
    if(_tw_rc EQUAL 0)
      execute_process(
        COMMAND ${TWINE_WASM_CC} ${TWINE_WASI_LDFLAGS} check.o -o check.wasm
        WORKING_DIRECTORY "${_tw_dir}"
        RESULT_VARIABLE _tw_rc OUTPUT_VARIABLE _tw_out ERROR_VARIABLE _tw_out)
    endif()
    if(NOT _tw_rc EQUAL 0)
      message(FATAL_ERROR
        "twine: ${TWINE_WASM_CC} cannot build a wasm32-wasi program with the "
        "sysroot ${TWINE_WASI_SYSROOT_DIR} (are wasi-libc, lld-19 and "
        "libclang-rt-19-dev-wasm32 installed? run scripts/install-deps.sh):\n"
        "${_tw_out}")
    endif()
    set(TWINE_WASI_CC_WORKS ON CACHE INTERNAL "clang-19 builds wasm32-wasi programs")
    message(STATUS "twine: WASI guests built with ${TWINE_WASM_CC}, "
                   "sysroot ${TWINE_WASI_SYSROOT_DIR}")
  endif()
endmacro()

function(twine_add_wasi_guest NAME)
  cmake_parse_arguments(G "EXCLUDE_FROM_ALL" "OUTPUT_DIR;OUTPUT_NAME"
    "SOURCES;DEFINES;INCLUDES;CFLAGS;LIBS;EMULATE;LDFLAGS;DEPENDS" ${ARGN})
  if(NOT G_SOURCES)
    message(FATAL_ERROR "twine_add_wasi_guest(${NAME}): no SOURCES")
  endif()
  if(G_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
            "twine_add_wasi_guest(${NAME}): unknown arguments ${G_UNPARSED_ARGUMENTS}")
  endif()
  _twine_wasi_setup()
  if(NOT G_OUTPUT_DIR)
    set(G_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(NOT G_OUTPUT_NAME)
    set(G_OUTPUT_NAME "${NAME}")
  endif()
  set(objdir "${CMAKE_CURRENT_BINARY_DIR}/${NAME}.wasi.d")
  set(out "${G_OUTPUT_DIR}/${G_OUTPUT_NAME}.wasm")

  set(cflags ${TWINE_WASI_CFLAGS} ${G_CFLAGS})
  foreach(d ${G_DEFINES})
    list(APPEND cflags "-D${d}")
  endforeach()
  foreach(dir ${G_INCLUDES})
    get_filename_component(dir "${dir}" ABSOLUTE)
    list(APPEND cflags "-I${dir}")
  endforeach()
  set(libs)
  foreach(e ${G_EMULATE})
    if(NOT e MATCHES "^(process-clocks|mman|getpid|signal)$")
      message(FATAL_ERROR "twine_add_wasi_guest(${NAME}): unknown EMULATE ${e} "
                          "(process-clocks, mman, getpid, signal)")
    endif()
    string(TOUPPER "${e}" up)
    string(REPLACE "-" "_" up "${up}")
    list(APPEND cflags "-D_WASI_EMULATED_${up}")
    list(APPEND libs "-lwasi-emulated-${e}")
  endforeach()
  foreach(l ${G_LIBS})
    list(APPEND libs "-l${l}")
  endforeach()

  set(objs)
  set(seen)
  foreach(src ${G_SOURCES})
    get_filename_component(abs "${src}" ABSOLUTE)
    get_filename_component(base "${src}" NAME_WE)
    # Two sources with the same base name (a/x.c, b/x.c) get distinct objects.
    set(oname "${base}")
    set(n 1)
    while(oname IN_LIST seen)
      math(EXPR n "${n} + 1")
      set(oname "${base}_${n}")
    endwhile()
    list(APPEND seen "${oname}")
    set(obj "${objdir}/${oname}.o")
    add_custom_command(
      OUTPUT "${obj}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${objdir}"
      COMMAND ${TWINE_WASM_CC} ${cflags} -MD -MF "${obj}.d" -c "${abs}" -o "${obj}"
      DEPENDS "${abs}" ${G_DEPENDS}
      DEPFILE "${obj}.d"
      COMMENT "wasm32-wasi cc ${NAME}: ${base}.c"
      VERBATIM)
    list(APPEND objs "${obj}")
  endforeach()

  _twine_guest_link(${NAME} "${out}" "${objs}" "${G_EXCLUDE_FROM_ALL}"
    "wasm32-wasi link ${G_OUTPUT_NAME}.wasm"
    ${TWINE_WASM_CC} ${TWINE_WASI_LDFLAGS} ${G_LDFLAGS} ${objs} ${libs})
endfunction()
