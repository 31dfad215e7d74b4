# EmbedUplot.cmake: uPlot (npm package "uplot", pinned in
# scripts/fetch-uplot.sh) compiled into the library, so that the HTML report
# is one self-contained file and `headroom report` never needs the network.
#
# At build time scripts/fetch-uplot.sh installs the pinned version into
# tools/node_modules/uplot when it is missing, then cmake/EmbedFiles.cmake
# writes its minified script and style sheet as byte arrays
# (hr__uplot_js, hr__uplot_css; src/report/html_assets.h) into a generated C
# source that joins the hr_obj sources.
set(HR_UPLOT_DIST ${CMAKE_SOURCE_DIR}/tools/node_modules/uplot/dist)
set(HR_UPLOT_C ${CMAKE_BINARY_DIR}/generated/uplot_embed.c)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/generated)
add_custom_command(
  OUTPUT ${HR_UPLOT_C}
  COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/fetch-uplot.sh
  COMMAND ${CMAKE_COMMAND} -DOUT=${HR_UPLOT_C} "-DNAMES=hr__uplot_js|hr__uplot_css"
          "-DFILES=${HR_UPLOT_DIST}/uPlot.iife.min.js|${HR_UPLOT_DIST}/uPlot.min.css"
          -DNOSCRIPT=1 -P ${CMAKE_SOURCE_DIR}/cmake/EmbedFiles.cmake
  DEPENDS ${CMAKE_SOURCE_DIR}/scripts/fetch-uplot.sh ${CMAKE_SOURCE_DIR}/cmake/EmbedFiles.cmake
  COMMENT "Embedding uPlot into the HTML report"
  VERBATIM)
target_sources(hr_obj PRIVATE ${HR_UPLOT_C})
