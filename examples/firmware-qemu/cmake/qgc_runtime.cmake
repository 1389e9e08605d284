# qgc's bare-metal runtime for a qgc target, read from the qgc package (QGC_DIR):
#
#   qgc_target(cortex-m4)       reads ${QGC_DIR}/targets/cortex-m4.json: adds the target's CPU flags
#                               to every target defined after it, and sets QGC_QEMU_MACHINE
#   qgc_runtime()               adds `qgc_runtime` (startup code, vector table, semihosting I/O,
#                               SysTick instruction counter, newlib syscalls) and renders the
#                               linker script for the target's board into the build folder
#   qgc_firmware(firmware)      links an executable with that linker script and runtime
#
# Everything about the board (memory map, stack size, instructions per SysTick tick) comes from
# the target JSON, and the linker script from templates/c/runtime/qgc_link.ld.hbs, the same
# files `qgc verify` builds with.
cmake_minimum_required(VERSION 3.19) # string(JSON)

function(qgc_json_get out json)
  string(JSON value GET "${json}" ${ARGN})
  set(${out} "${value}" PARENT_SCOPE)
endfunction()

macro(qgc_target name)
  set(QGC_TARGET ${name})
  set(_qgc_file ${QGC_DIR}/targets/${name}.json)
  if(NOT EXISTS ${_qgc_file})
    message(FATAL_ERROR "qgc: no target file ${_qgc_file} (set QGC_DIR to the qgc package)")
  endif()
  file(READ ${_qgc_file} QGC_TARGET_JSON)
  string(JSON _qgc_n LENGTH "${QGC_TARGET_JSON}" cflags)
  set(QGC_TARGET_CFLAGS "")
  math(EXPR _qgc_last "${_qgc_n} - 1")
  foreach(i RANGE ${_qgc_last})
    qgc_json_get(_qgc_flag "${QGC_TARGET_JSON}" cflags ${i})
    list(APPEND QGC_TARGET_CFLAGS ${_qgc_flag})
  endforeach()
  qgc_json_get(QGC_QEMU_MACHINE "${QGC_TARGET_JSON}" board qemuMachine)
  add_compile_options(${QGC_TARGET_CFLAGS} -ffunction-sections -fdata-sections)
  add_link_options(${QGC_TARGET_CFLAGS})
endmacro()

function(qgc_runtime)
  set(rt ${QGC_DIR}/templates/c/runtime)
  file(READ ${rt}/qgc_link.ld.hbs ld)
  foreach(key origin length)
    qgc_json_get(rom_${key} "${QGC_TARGET_JSON}" board rom ${key})
    qgc_json_get(ram_${key} "${QGC_TARGET_JSON}" board ram ${key})
  endforeach()
  qgc_json_get(stack "${QGC_TARGET_JSON}" board stackSize)
  qgc_json_get(heap "${QGC_TARGET_JSON}" board heapMin)
  string(REPLACE "{{target}}" "${QGC_TARGET}" ld "${ld}")
  string(REPLACE "{{board}}" "${QGC_QEMU_MACHINE}" ld "${ld}")
  string(REPLACE "{{romOrigin}}" "${rom_origin}" ld "${ld}")
  string(REPLACE "{{romLength}}" "${rom_length}" ld "${ld}")
  string(REPLACE "{{ramOrigin}}" "${ram_origin}" ld "${ld}")
  string(REPLACE "{{ramLength}}" "${ram_length}" ld "${ld}")
  string(REPLACE "{{stackSize}}" "${stack}" ld "${ld}")
  string(REPLACE "{{heapMin}}" "${heap}" ld "${ld}")
  if(ld MATCHES "{{")
    message(FATAL_ERROR "qgc: ${rt}/qgc_link.ld.hbs has a placeholder this file does not fill")
  endif()
  file(WRITE ${CMAKE_BINARY_DIR}/qgc_link.ld "${ld}")

  # qgc_cycles_*() count instructions under QEMU -icount shift=0: ticks * instructionsPerTick,
  # written as a fraction (31.25 -> 3125/100).
  qgc_json_get(per_tick "${QGC_TARGET_JSON}" board instructionsPerTick)
  if(per_tick MATCHES "^([0-9]+)\\.([0-9]+)$")
    string(LENGTH "${CMAKE_MATCH_2}" digits)
    set(den 1)
    foreach(i RANGE 1 ${digits})
      math(EXPR den "${den} * 10")
    endforeach()
    math(EXPR num "${CMAKE_MATCH_1} * ${den} + ${CMAKE_MATCH_2}")
  else()
    set(num ${per_tick})
    set(den 1)
  endif()

  add_library(qgc_runtime OBJECT ${rt}/qgc_startup.S ${rt}/qgc_runtime.c)
  target_include_directories(qgc_runtime PUBLIC ${rt})
  target_compile_definitions(qgc_runtime PRIVATE QGC_TICK_NUM=${num}u QGC_TICK_DEN=${den}u)
  set_target_properties(qgc_runtime PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)
endfunction()

function(qgc_firmware exe)
  target_link_libraries(${exe} PRIVATE qgc_runtime)
  target_link_options(${exe} PRIVATE -nostartfiles --specs=nano.specs -Wl,--gc-sections
    -Wl,-Map=$<TARGET_FILE:${exe}>.map -T ${CMAKE_BINARY_DIR}/qgc_link.ld)
  set_target_properties(${exe} PROPERTIES SUFFIX .elf LINK_DEPENDS ${CMAKE_BINARY_DIR}/qgc_link.ld)
  add_custom_command(TARGET ${exe} POST_BUILD COMMAND ${CMAKE_SIZE} $<TARGET_FILE:${exe}>)
endfunction()
