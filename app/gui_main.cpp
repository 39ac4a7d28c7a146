// SPDX-License-Identifier: MIT
// compression-workbench: the GUI executable. Wiring only — the window lives in cwb_widgets.
// (Initial version by the lead so the tree configures; engineer "gui" owns this file.)

#include "mainwindow.h"

#include <QApplication>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    cwb::gui::MainWindow window;
    window.show();
    return app.exec();
}
