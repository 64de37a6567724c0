# BuildId.cmake - the runtime build id, part of every measurement
# (docs/attestation.md, "Runtime identity").
#
# build id = SHA-256 over, for every trusted source file in sorted order,
# "<path relative to the source tree>\n<SHA-256 of the file>\n", followed
# by the build options that change trusted code (compiler id and version,
# TWINE_SANITIZE, TWINE_INTERP_SWITCH, TWINE_PFS_NODE_SHIFT). Trusted
# sources: src/{util,wasm,rt,interp,wasi,enclave,crypto,pfs} (.c .h .def
# .inc) and include/twine. It identifies the trusted code by its source, not
# by its binary (the same sources built with other flags differ only in
# the listed options). A release build can pin it: -DTWINE_BUILD_ID=<64 hex>.
#
# It is computed at build time (not configure time) by build_id_gen.cmake,
# re-run whenever a listed file changes, into
# ${CMAKE_BINARY_DIR}/generated/tw_build_id.h (TW_BUILD_ID_BYTES), which
# src/enclave/measure.c includes. Include this file after twine_core exists.

set(TWINE_BUILD_ID "" CACHE STRING
    "Fixed runtime build id (64 hex digits); empty = hash of the trusted sources")

set(_tw_gen_dir "${CMAKE_BINARY_DIR}/generated")
set(_tw_build_id_h "${_tw_gen_dir}/tw_build_id.h")
file(MAKE_DIRECTORY "${_tw_gen_dir}")

file(GLOB_RECURSE _tw_trusted_files CONFIGURE_DEPENDS
     RELATIVE "${PROJECT_SOURCE_DIR}"
     "${PROJECT_SOURCE_DIR}/src/util/*" "${PROJECT_SOURCE_DIR}/src/wasm/*"
     "${PROJECT_SOURCE_DIR}/src/rt/*" "${PROJECT_SOURCE_DIR}/src/interp/*"
     "${PROJECT_SOURCE_DIR}/src/wasi/*" "${PROJECT_SOURCE_DIR}/src/enclave/*"
     "${PROJECT_SOURCE_DIR}/src/crypto/*" "${PROJECT_SOURCE_DIR}/src/pfs/*"
     "${PROJECT_SOURCE_DIR}/include/twine/*")
list(FILTER _tw_trusted_files INCLUDE REGEX "\\.(c|h|def|inc)$")
list(SORT _tw_trusted_files)
set(_tw_deps)
foreach(f ${_tw_trusted_files})
  list(APPEND _tw_deps "${PROJECT_SOURCE_DIR}/${f}")
endforeach()
set(_tw_build_opts
    "compiler=${CMAKE_C_COMPILER_ID}-${CMAKE_C_COMPILER_VERSION};sanitize=${TWINE_SANITIZE};interp_switch=${TWINE_INTERP_SWITCH};pfs_node_shift=${TWINE_PFS_NODE_SHIFT}")
string(REPLACE ";" "," _tw_build_opts "${_tw_build_opts}")
# The list goes through a file: it can be longer than a command line.
file(WRITE "${_tw_gen_dir}/build_id_inputs.txt.new"
     "opts=${_tw_build_opts}\nfixed=${TWINE_BUILD_ID}\n")
foreach(f ${_tw_trusted_files})
  file(APPEND "${_tw_gen_dir}/build_id_inputs.txt.new" "${f}\n")
endforeach()
file(COPY_FILE "${_tw_gen_dir}/build_id_inputs.txt.new"
     "${_tw_gen_dir}/build_id_inputs.txt" ONLY_IF_DIFFERENT)

add_custom_command(
  OUTPUT "${_tw_build_id_h}"
  COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR}
          -DINPUTS=${_tw_gen_dir}/build_id_inputs.txt -DOUT=${_tw_build_id_h}
          -P ${PROJECT_SOURCE_DIR}/cmake/build_id_gen.cmake
  DEPENDS ${_tw_deps} "${_tw_gen_dir}/build_id_inputs.txt"
          ${PROJECT_SOURCE_DIR}/cmake/build_id_gen.cmake
  COMMENT "twine: runtime build id"
  VERBATIM)
target_sources(twine_core PRIVATE "${_tw_build_id_h}")
target_include_directories(twine_core PRIVATE "${_tw_gen_dir}")
