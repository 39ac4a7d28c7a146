# SPDX-License-Identifier: MIT
# One helper per target kind, so warnings, definitions and test wiring are set in one place.

# GCC 12 reports -Wmaybe-uninitialized inside avx512fintrin.h whenever Eigen is inlined with
# -march=native (a known false positive), drowning real warnings; it stays off.
# Params structs are written with designated initializers that rely on member defaults
# (GptqParams{.bits = 4}); -Wextra's missing-field-initializers would flag every one of them.
# (Flags in this order: ccache keys on the command line.)
set(CWB_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU") # clang (sanitizer suite, fuzzers) has no such warning
    list(APPEND CWB_WARNINGS -Wno-maybe-uninitialized)
endif()
list(APPEND CWB_WARNINGS -Wno-missing-field-initializers)

# Qt's `emit` collides with oneTBB's profiling header; everything Qt-side writes Q_EMIT.
set(CWB_QT_DEFINITIONS QT_NO_EMIT QT_NO_CAST_FROM_ASCII QT_NO_URL_CAST_FROM_STRING
    QT_DISABLE_DEPRECATED_BEFORE=0x060400)

# cwb_add_library(NAME [QT] SOURCES ... [LIBS ...])
function(cwb_add_library name)
    cmake_parse_arguments(ARG "QT" "" "SOURCES;LIBS" ${ARGN})
    add_library(${name} STATIC ${ARG_SOURCES})
    add_library(cwb::${name} ALIAS ${name})
    target_compile_options(${name} PRIVATE ${CWB_WARNINGS})
    target_link_libraries(${name} PUBLIC ${ARG_LIBS})
    set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    if(ARG_QT)
        set_target_properties(${name} PROPERTIES AUTOMOC ON AUTORCC ON)
        target_compile_definitions(${name} PUBLIC ${CWB_QT_DEFINITIONS})
    endif()
endfunction()

# cwb_add_executable(NAME [QT] SOURCES ... [LIBS ...])
function(cwb_add_executable name)
    cmake_parse_arguments(ARG "QT" "" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    target_compile_options(${name} PRIVATE ${CWB_WARNINGS})
    target_link_libraries(${name} PRIVATE ${ARG_LIBS})
    if(ARG_QT)
        set_target_properties(${name} PROPERTIES AUTOMOC ON AUTORCC ON)
        target_compile_definitions(${name} PRIVATE ${CWB_QT_DEFINITIONS})
    endif()
    install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# cwb_add_test(NAME SOURCES ... [LIBS ...] [TIMEOUT s])
# Qt Test executable registered with CTest, headless, asserts on, assets via CWB_SHARED.
function(cwb_add_test name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    set_target_properties(${name} PROPERTIES AUTOMOC ON AUTORCC ON)
    target_compile_options(${name} PRIVATE ${CWB_WARNINGS} -UNDEBUG)
    target_compile_definitions(${name} PRIVATE ${CWB_QT_DEFINITIONS}
        CWB_DEFAULT_SHARED="${PROJECT_SOURCE_DIR}/../shared"
        CWB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        CWB_BINARY_DIR="${PROJECT_BINARY_DIR}")
    if(CWB_SANITIZE)
        # Tests about the shipped objects themselves (test_kernels) know they look at others.
        target_compile_definitions(${name} PRIVATE CWB_SANITIZED_BUILD=1)
    endif()
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
    target_link_libraries(${name} PRIVATE Qt6::Test ${ARG_LIBS})
    add_test(NAME ${name} COMMAND ${name})
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 300)
    endif()
    if(CWB_SANITIZE)
        # ASan + UBSan at -O1 run the suite several times slower (test_eval_metrics needed more
        # than 300 s): the limit guards against hangs, not against slow instrumentation.
        math(EXPR ARG_TIMEOUT "${ARG_TIMEOUT} * 5")
    endif()
    # Qt Test's own limit per test function (300 s by default) follows CTest's for the whole test.
    set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
        ENVIRONMENT "QT_QPA_PLATFORM=offscreen;QT_LOGGING_RULES=qt.qpa.*=false;QTEST_FUNCTION_TIMEOUT=${ARG_TIMEOUT}000")
endfunction()
